{#
    The review list: every validation finding a statistician should look at, as rows, for
    the reports that count (latest accepted versions, as of var('as_of')). Nothing here
    blocks publishing. Each rule has one owner, the place that can see what it needs:

    origin 'intake': rules on one report's rows, run by Great Expectations at load
    (programme_monitoring/quality/suites.py) and stored in audit.validation_findings;
    taken here as they are (rule code, severity, place, values, messages):
      sex_parts_sum_to_total          parts by sex, reported in full, <> the total
      age_parts_not_above_total       parts by age group add up to more than the total
      convicted_not_above_prosecuted  THB05 convicted > THB04 prosecuted
      implemented_not_above_due       measures implemented > measures due (or PRG02 > PRG01)

    origin 'warehouse': rules across reports and years, on the state's yearly value
    (int_indicator_values_state_year, added up across programmes), thresholds below:
      year_over_year_jump       value >= jump_factor x or <= 1/jump_factor of the previous
                                year's value, and differs from it by >= jump_floor
      modified_z_score_outlier  |0.6745 (x - median) / MAD| > z_limit over the state's
                                years (at least z_min_years values)
      unodc_reconciliation_difference  the state's total differs from UNODC GLOTIP's
                                (int_unodc_reconciliation: status differs or
                                censored_inconsistent); the definitions differ, so a warning
#}
{%- set jump_factor = 3 -%}
{%- set jump_floor = 10 -%}
{%- set z_limit = 3.5 -%}
{%- set z_min_years = 4 -%}

with

latest_reports as (

    select * from {{ ref('int_reports_latest_version') }}

),

indicator_values as (

    select * from {{ ref('int_indicator_values_accepted') }}

),

state_values as (

    select * from {{ ref('int_indicator_values_state_year') }}

),

unodc_reconciliation as (

    select * from {{ ref('int_unodc_reconciliation') }}
    where status in ('differs', 'censored_inconsistent')

),

intake_findings as (

    select * from {{ source('audit', 'validation_findings') }}
    where {{ as_of_condition('found_at') }}

),

-- year-over-year checks run on the state's yearly value (across programmes)
series as materialized (

    select
        state_values.*,
        lag(state_values.value) over (
            partition by state_values.state_code, state_values.indicator_code
            order by state_values.reporting_year
        ) as previous_value,
        lag(state_values.reporting_year) over (
            partition by state_values.state_code, state_values.indicator_code
            order by state_values.reporting_year
        ) as previous_year

    from state_values
    where state_values.value is not null

),

medians as (

    select
        state_code,
        indicator_code,
        percentile_cont(0.5) within group (
            order by value
        ) as median_value,
        count(*) as years_reported

    from series
    group by state_code, indicator_code

),

deviations as (

    select
        series.state_code,
        series.indicator_code,
        percentile_cont(0.5) within group (
            order by abs(series.value - medians.median_value)
        ) as mad

    from series
    inner join medians
        on
            series.state_code = medians.state_code
            and series.indicator_code = medians.indicator_code
    group by series.state_code, series.indicator_code

),

series_findings as (

    select
        'year_over_year_jump' as rule_code,
        'warning' as severity,
        state_code,
        indicator_code,
        reporting_year,
        value::numeric as left_value,
        'vs previous year' as operator,
        previous_value::numeric as right_value

    from series
    where
        previous_year = reporting_year - 1
        and previous_value > 0
        and abs(value - previous_value) >= {{ jump_floor }}
        and (value >= {{ jump_factor }} * previous_value or {{ jump_factor }} * value <= previous_value)
    union all
    select
        'modified_z_score_outlier' as rule_code,
        'warning' as severity,
        series.state_code,
        series.indicator_code,
        series.reporting_year,
        series.value::numeric as left_value,
        'vs median of the state''s years' as operator,
        medians.median_value::numeric as right_value

    from series
    inner join medians
        on
            series.state_code = medians.state_code
            and series.indicator_code = medians.indicator_code
    inner join deviations
        on
            series.state_code = deviations.state_code
            and series.indicator_code = deviations.indicator_code
    where
        medians.years_reported >= {{ z_min_years }}
        and deviations.mad > 0
        and abs(0.6745 * (series.value - medians.median_value) / deviations.mad) > {{ z_limit }}

),

-- a state-year value may come from several programmes' reports: attach each one
warehouse_findings as (

    select
        series_findings.rule_code,
        series_findings.severity,
        indicator_values.report_id,
        series_findings.indicator_code,
        series_findings.left_value,
        series_findings.operator,
        series_findings.right_value,
        indicator_values.source_row

    from series_findings
    inner join indicator_values
        on
            series_findings.state_code = indicator_values.state_code
            and series_findings.indicator_code = indicator_values.indicator_code
            and series_findings.reporting_year = indicator_values.reporting_year
            and indicator_values.is_total
            and indicator_values.value is not null

),

-- materialized: planned on its own, the join below stays a hash join
all_findings as materialized (

    select
        'warehouse' as origin,
        warehouse_findings.rule_code,
        warehouse_findings.severity,
        warehouse_findings.report_id,
        warehouse_findings.indicator_code,
        warehouse_findings.left_value,
        warehouse_findings.operator,
        warehouse_findings.right_value,
        json_build_object(
            'left', warehouse_findings.left_value, 'operator', warehouse_findings.operator,
            'right', warehouse_findings.right_value
        )::text as values_involved,
        warehouse_findings.indicator_code || ': ' || warehouse_findings.rule_code || ' ('
        || warehouse_findings.left_value::text || ' ' || warehouse_findings.operator || ' '
        || coalesce(warehouse_findings.right_value::text, 'NULL') || ')' as message_en,
        warehouse_findings.indicator_code || ': '
        || case warehouse_findings.rule_code
            when 'year_over_year_jump' then 'резкое изменение по сравнению с прошлым годом'
            when 'modified_z_score_outlier' then 'выброс относительно медианы по годам'
        end
        || ' (' || warehouse_findings.left_value::text || ' ' || warehouse_findings.operator || ' '
        || coalesce(warehouse_findings.right_value::text, 'NULL') || ')' as message_ru,
        'Indicators' as source_sheet,
        warehouse_findings.source_row,
        'total' as disaggregation

    from warehouse_findings
    union all
    select
        'warehouse' as origin,
        'unodc_reconciliation_difference' as rule_code,
        'warning' as severity,
        unodc_reconciliation.report_id,
        unodc_reconciliation.indicator_code,
        unodc_reconciliation.report_value as left_value,
        'vs UNODC GLOTIP' as operator,
        unodc_reconciliation.unodc_value as right_value,
        json_build_object(
            'left', unodc_reconciliation.report_value, 'operator', 'vs UNODC GLOTIP',
            'right', unodc_reconciliation.unodc_value_text,
            'release_date', unodc_reconciliation.release_date
        )::text as values_involved,
        unodc_reconciliation.indicator_code || ': the state''s figure ' || unodc_reconciliation.report_value::text
        || ' differs from UNODC GLOTIP''s ' || unodc_reconciliation.unodc_value_text || ' (release of '
        || to_char(unodc_reconciliation.release_date, 'DD.MM.YYYY') || ')' as message_en,
        unodc_reconciliation.indicator_code || ': показатель государства ' || unodc_reconciliation.report_value::text
        || ' расходится с данными УНП ООН (GLOTIP) ' || unodc_reconciliation.unodc_value_text || ' (выпуск от '
        || to_char(unodc_reconciliation.release_date, 'DD.MM.YYYY') || ')' as message_ru,
        'Indicators' as source_sheet,
        unodc_reconciliation.report_source_row as source_row,
        'total' as disaggregation

    from unodc_reconciliation
    union all
    select
        'intake' as origin,
        intake_findings.rule as rule_code,
        intake_findings.severity,
        intake_findings.file_sha256 as report_id,
        intake_findings.values_involved ->> 'indicator_code' as indicator_code,
        null as left_value,
        null as operator,
        null as right_value,
        intake_findings.values_involved::text as values_involved,
        intake_findings.reason_en as message_en,
        intake_findings.reason_ru as message_ru,
        intake_findings.source_sheet,
        intake_findings.source_row,
        intake_findings.values_involved ->> 'disaggregation' as disaggregation

    from intake_findings

),

final as (

    select
        md5(concat_ws(
            '|', all_findings.origin, all_findings.rule_code, all_findings.report_id,
            all_findings.indicator_code, all_findings.source_sheet, all_findings.source_row::text,
            all_findings.values_involved, all_findings.message_en
        ))::text as finding_key,
        {{ finding_id(
            'all_findings.rule_code', 'latest_reports.state_code', 'latest_reports.programme_code',
            'latest_reports.reporting_year', 'all_findings.indicator_code', 'all_findings.disaggregation'
        ) }}::text as finding_id,
        all_findings.origin::text as origin,
        all_findings.rule_code::text as rule_code,
        all_findings.severity::text as severity,
        latest_reports.state_code::text as state_code,
        latest_reports.programme_code::text as programme_code,
        latest_reports.reporting_year::integer as reporting_year,
        all_findings.indicator_code::text as indicator_code,
        all_findings.disaggregation::text as disaggregation,
        all_findings.left_value::numeric(24, 4) as left_value,
        all_findings.operator::text as operator,
        all_findings.right_value::numeric(24, 4) as right_value,
        all_findings.values_involved::text as values_involved,
        all_findings.message_en::text as message_en,
        all_findings.message_ru::text as message_ru,
        all_findings.report_id::text as report_id,
        latest_reports.source_file::text as source_file,
        all_findings.source_sheet::text as source_sheet,
        all_findings.source_row::integer as source_row

    from all_findings
    -- only the reports that count: findings of superseded versions are history
    inner join latest_reports
        on all_findings.report_id = latest_reports.report_id

),

-- Where each finding stands in its review (audit.finding_reviews, the latest decision;
-- none = open). A finding resolved automatically (gone from a newer version) that is here
-- again is open: the transform records its reopening when it publishes these marts.
reviews as (

    select * from {{ source('audit', 'finding_reviews') }}
    where {{ as_of_condition('decided_at') }}

),

latest_review as (

    select distinct on (finding_id)
        finding_id,
        status,
        origin,
        decided_at,
        decided_by,
        note
    from reviews
    order by finding_id asc, review_id desc

),

with_status as (

    select distinct
        final.*,
        (case
            when latest_review.status = 'resolved' and latest_review.origin = 'automatic' then 'open'
            else coalesce(latest_review.status, 'open')
        end)::text as review_status,
        latest_review.decided_at::timestamptz as review_decided_at,
        latest_review.decided_by::text as review_decided_by,
        latest_review.note::text as review_note
    from final
    left join latest_review
        on final.finding_id = latest_review.finding_id

)

select * from with_status
