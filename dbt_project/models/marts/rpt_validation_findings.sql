{#
    The review list: every validation finding a statistician should look at, as rows, for
    the reports that count (latest accepted versions, as of var('as_of')). Nothing here
    blocks publishing. Every rule is a row of the rule catalogue (seed validation_rules,
    read through stg_reference__validation_rules: severity, thresholds, message templates in
    Russian and English, whether the Council report shows it), implemented in one place,
    the one that can see what it needs:

    origin 'intake': rules on one report's rows, run by Great Expectations at load
    (programme_monitoring/quality/suites.py, generated from the catalogue) and stored in
    audit.validation_findings with their messages already rendered; taken here as they are.

    origin 'warehouse': rules across reports and years, on the state's yearly value
    (int_indicator_values_state_year, added up across programmes); thresholds from the
    catalogue:
      year_over_year_jump       value >= factor x or <= 1/factor of the previous year's
                                value, and differs from it by >= floor and by >= level_share
                                x the median of the state's years (a move that matters at
                                the series' own scale)
      modified_z_score_outlier  |0.6745 (x - median) / MAD'| > z_limit over the state's years
                                (at least min_years values), where MAD' = max(MAD,
                                level_share x median) keeps a near-constant series from
                                turning small moves into huge scores, and |x - median| >= floor
      One problem, one finding: a value flagged as an outlier is not listed again as a jump
      into or out of it; a jump back from a flagged jump (a spike) is the same problem as the
      jump into it; and a value the intake already flagged in a comparison on the same report
      (the indicators of its `indicators` value, e.g. THB04|THB05 for convicted against
      prosecuted) is not listed again by a rule of the warehouse.
      unodc_reconciliation_difference  the state's total differs from UNODC GLOTIP's
                                (int_unodc_reconciliation: status differs or
                                censored_inconsistent); the definitions differ, so a warning
#}
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

rules as (

    select * from {{ ref('stg_reference__validation_rules') }}

),

jump_rule as (

    select * from rules
    where rule_code = 'year_over_year_jump'

),

z_rule as (

    select * from rules
    where rule_code = 'modified_z_score_outlier'

),

indicators as (

    select * from {{ ref('stg_reference__indicators') }}

),

unodc_reconciliation as (

    select * from {{ ref('int_unodc_reconciliation') }}
    where status in ('differs', 'censored_inconsistent')

),

intake_findings as (

    select * from {{ source('audit', 'validation_findings') }}
    where {{ as_of_condition('found_at') }}

),

-- The series the rules judge: the state's yearly value (across programmes) under the same
-- programmes. A year in which the programmes carrying the indicator change (IM01 under CR
-- in 2014, under IM from 2015; TRN01 under THB, then THB and IM, then IM alone) is a break
-- in the series, not a move: the values before and after are separate series.
series as materialized (

    select
        state_values.*,
        coalesce(state_values.programme_codes, '') as coverage,
        lag(state_values.value) over (
            partition by state_values.state_code, state_values.indicator_code, state_values.programme_codes
            order by state_values.reporting_year
        ) as previous_value,
        lag(state_values.reporting_year) over (
            partition by state_values.state_code, state_values.indicator_code, state_values.programme_codes
            order by state_values.reporting_year
        ) as previous_year

    from state_values
    where state_values.value is not null

),

medians as (

    select
        state_code,
        indicator_code,
        coverage,
        percentile_cont(0.5) within group (
            order by value
        ) as median_value,
        count(*) as years_reported

    from series
    group by state_code, indicator_code, coverage

),

deviations as (

    select
        series.state_code,
        series.indicator_code,
        series.coverage,
        percentile_cont(0.5) within group (
            order by abs(series.value - medians.median_value)
        ) as mad

    from series
    inner join medians
        on
            series.state_code = medians.state_code
            and series.indicator_code = medians.indicator_code
            and series.coverage = medians.coverage
    group by series.state_code, series.indicator_code, series.coverage

),

jumps as (

    select
        jump_rule.rule_code,
        jump_rule.severity,
        series.state_code,
        series.indicator_code,
        series.reporting_year,
        series.value::numeric as left_value,
        'vs previous year' as operator,
        series.previous_value::numeric as right_value,
        series.previous_year,
        jump_rule.factor

    from series
    inner join medians
        on
            series.state_code = medians.state_code
            and series.indicator_code = medians.indicator_code
            and series.coverage = medians.coverage
    cross join jump_rule
    where
        series.previous_year = series.reporting_year - 1
        and series.previous_value > 0
        and abs(series.value - series.previous_value) >= jump_rule.floor
        and abs(series.value - series.previous_value) >= jump_rule.level_share * medians.median_value
        and (
            series.value >= jump_rule.factor * series.previous_value
            or jump_rule.factor * series.value <= series.previous_value
        )

),

outliers as (

    select
        z_rule.rule_code,
        z_rule.severity,
        series.state_code,
        series.indicator_code,
        series.reporting_year,
        series.value::numeric as left_value,
        'vs median of the state''s years' as operator,
        medians.median_value::numeric as right_value,
        null::integer as previous_year,
        null::numeric as factor

    from series
    inner join medians
        on
            series.state_code = medians.state_code
            and series.indicator_code = medians.indicator_code
            and series.coverage = medians.coverage
    inner join deviations
        on
            series.state_code = deviations.state_code
            and series.indicator_code = deviations.indicator_code
            and series.coverage = deviations.coverage
    cross join z_rule
    where
        medians.years_reported >= z_rule.min_years
        and greatest(deviations.mad, z_rule.level_share * medians.median_value) > 0
        and abs(series.value - medians.median_value) >= z_rule.floor
        and 0.6745 * abs(series.value - medians.median_value)
        / greatest(deviations.mad, z_rule.level_share * medians.median_value) > z_rule.z_limit

),

-- the state-year values the intake's findings already concern (their indicators)
intake_flagged as (

    select distinct
        latest_reports.state_code,
        latest_reports.reporting_year,
        unnest(string_to_array(intake_findings.values_involved ->> 'indicators', '|')) as indicator_code

    from intake_findings
    inner join latest_reports
        on intake_findings.file_sha256 = latest_reports.report_id

),

-- one problem, one finding (see above)
series_flags as (

    select outliers.* from outliers
    union all
    select jumps.* from jumps
    where
        not exists (
            select 1 from outliers
            where
                outliers.state_code = jumps.state_code
                and outliers.indicator_code = jumps.indicator_code
                and outliers.reporting_year in (jumps.reporting_year, jumps.previous_year)
        )
        and not exists (
            select 1 from jumps as jump_into
            where
                jump_into.state_code = jumps.state_code
                and jump_into.indicator_code = jumps.indicator_code
                and jump_into.reporting_year = jumps.previous_year
                and (jump_into.left_value > jump_into.right_value) != (jumps.left_value > jumps.right_value)
        )

),

series_findings as (

    select series_flags.* from series_flags
    where not exists (
            select 1 from intake_flagged
            where
                intake_flagged.state_code = series_flags.state_code
                and intake_flagged.indicator_code = series_flags.indicator_code
                and intake_flagged.reporting_year in (series_flags.reporting_year, series_flags.previous_year)
        )

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
        series_findings.reporting_year,
        series_findings.previous_year,
        series_findings.factor,
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
        {{ render_message('rules.message_en', {
            'indicator': "indicators.indicator_name_en || ' (' || warehouse_findings.indicator_code || ')'",
            'left': message_number('warehouse_findings.left_value', 'en'),
            'right': message_number('warehouse_findings.right_value', 'en'),
            'year': 'warehouse_findings.reporting_year',
            'previous_year': 'warehouse_findings.previous_year',
            'factor': message_number('warehouse_findings.factor', 'en'),
        }) }} as message_en,
        {{ render_message('rules.message_ru', {
            'indicator': "indicators.indicator_name_ru || ' (' || warehouse_findings.indicator_code || ')'",
            'left': message_number('warehouse_findings.left_value', 'ru'),
            'right': message_number('warehouse_findings.right_value', 'ru'),
            'year': 'warehouse_findings.reporting_year',
            'previous_year': 'warehouse_findings.previous_year',
            'factor': message_number('warehouse_findings.factor', 'ru'),
        }) }} as message_ru,
        'Indicators' as source_sheet,
        warehouse_findings.source_row,
        'total' as disaggregation

    from warehouse_findings
    inner join rules
        on warehouse_findings.rule_code = rules.rule_code
    left join indicators
        on warehouse_findings.indicator_code = indicators.indicator_code
    union all
    select
        'warehouse' as origin,
        rules.rule_code,
        rules.severity,
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
        {{ render_message('rules.message_en', {
            'indicator': "indicators.indicator_name_en || ' (' || unodc_reconciliation.indicator_code || ')'",
            'left': message_number('unodc_reconciliation.report_value', 'en'),
            'right': 'unodc_reconciliation.unodc_value_text',
            'release_date': "to_char(unodc_reconciliation.release_date, 'DD.MM.YYYY')",
        }) }} as message_en,
        {{ render_message('rules.message_ru', {
            'indicator': "indicators.indicator_name_ru || ' (' || unodc_reconciliation.indicator_code || ')'",
            'left': message_number('unodc_reconciliation.report_value', 'ru'),
            'right': "replace(replace(unodc_reconciliation.unodc_value_text, ',', ' '), '.', ',')",
            'release_date': "to_char(unodc_reconciliation.release_date, 'DD.MM.YYYY')",
        }) }} as message_ru,
        'Indicators' as source_sheet,
        unodc_reconciliation.report_source_row as source_row,
        'total' as disaggregation

    from unodc_reconciliation
    inner join rules
        on rules.rule_code = 'unodc_reconciliation_difference'
    left join indicators
        on unodc_reconciliation.indicator_code = indicators.indicator_code
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
        all_findings.source_row::integer as source_row,
        coalesce(rules.in_council_report, false)::boolean as in_council_report

    from all_findings
    -- only the reports that count: findings of superseded versions are history
    inner join latest_reports
        on all_findings.report_id = latest_reports.report_id
    left join rules
        on all_findings.rule_code = rules.rule_code

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
