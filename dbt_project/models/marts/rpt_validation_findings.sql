{#
    The review list: every validation rule a statistician should look at, as rows, for
    the reports that count (latest accepted versions, as of var('as_of')). Nothing here
    blocks publishing; `severity` says how serious a finding is:
      parts_by_sex_equal_total     error    sex breakdown reported in full but <> total
      age_parts_not_above_total    error    age-group breakdown adds up to more than the total
      convicted_not_above_prosecuted warning THB05 > THB04 (cohorts differ, cases lag)
      implemented_not_above_due    error    measures reported implemented > measures due
      year_over_year_jump          warning  value >= 3x or <= 1/3 of the previous year's
                                            accepted value (and differs by >= 10)
      modified_z_score_outlier     warning  |0.6745 (x - median) / MAD| > 3.5 over the
                                            state's years (at least 4 values)
    plus the findings the intake stored in audit.validation_findings (when that table
    exists), origin 'intake'.
#}
{%- set intake_findings = intake_validation_findings() -%}
{%- set intake_columns = intake_validation_findings_columns(intake_findings) -%}

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

measure_status as (

    select * from {{ ref('int_measure_status_latest') }}

),

measures_due as (

    select * from {{ ref('int_programme_measures_due') }}

),

breakdown_sums as (

    select
        report_id,
        indicator_code,
        disaggregation_dimension,
        sum(value) as parts_sum,
        count(*) as parts,
        count(value) as parts_reported,
        min(source_row) as source_row

    from indicator_values
    where disaggregation_dimension in ('sex', 'age_group')
    group by report_id, indicator_code, disaggregation_dimension

),

totals as (

    select
        report_id,
        indicator_code,
        value,
        source_row

    from indicator_values
    where is_total

),

parts_findings as (

    select
        case breakdown_sums.disaggregation_dimension
            when 'sex' then 'parts_by_sex_equal_total'
            else 'age_parts_not_above_total'
        end as rule_code,
        'error' as severity,
        breakdown_sums.report_id,
        breakdown_sums.indicator_code,
        breakdown_sums.parts_sum::numeric as left_value,
        case breakdown_sums.disaggregation_dimension when 'sex' then '=' else '<=' end as operator,
        totals.value::numeric as right_value,
        totals.source_row

    from breakdown_sums
    inner join totals
        on
            breakdown_sums.report_id = totals.report_id
            and breakdown_sums.indicator_code = totals.indicator_code
    where
        totals.value is not null
        and (
            (
                breakdown_sums.disaggregation_dimension = 'sex'
                and breakdown_sums.parts = breakdown_sums.parts_reported
                and breakdown_sums.parts_sum <> totals.value
            )
            or (
                breakdown_sums.disaggregation_dimension = 'age_group'
                and breakdown_sums.parts_sum > totals.value
            )
        )

),

convicted_findings as (

    select
        'convicted_not_above_prosecuted' as rule_code,
        'warning' as severity,
        convicted.report_id,
        convicted.indicator_code,
        convicted.value::numeric as left_value,
        '<=' as operator,
        prosecuted.value::numeric as right_value,
        convicted.source_row

    from totals as convicted
    inner join totals as prosecuted
        on
            convicted.report_id = prosecuted.report_id
            and prosecuted.indicator_code = 'THB04'
    where convicted.indicator_code = 'THB05' and convicted.value > prosecuted.value

),

implemented_counts as (

    select
        report_id,
        count(*) filter (where status = 'implemented') as measures_implemented,
        min(source_row) as source_row

    from measure_status
    group by report_id

),

due_counts as (

    select
        programme_code,
        due_year,
        count(*) as measures_due

    from measures_due
    group by programme_code, due_year

),

measure_findings as (

    select
        'implemented_not_above_due' as rule_code,
        'error' as severity,
        latest_reports.report_id,
        'PRG02' as indicator_code,
        implemented_counts.measures_implemented::numeric as left_value,
        '<=' as operator,
        coalesce(due_counts.measures_due, 0)::numeric as right_value,
        implemented_counts.source_row

    from latest_reports
    inner join implemented_counts
        on latest_reports.report_id = implemented_counts.report_id
    left join due_counts
        on
            latest_reports.programme_code = due_counts.programme_code
            and latest_reports.reporting_year = due_counts.due_year
    where implemented_counts.measures_implemented > coalesce(due_counts.measures_due, 0)

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
        and abs(value - previous_value) >= 10
        and (value >= 3 * previous_value or 3 * value <= previous_value)
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
        medians.years_reported >= 4
        and deviations.mad > 0
        and abs(0.6745 * (series.value - medians.median_value) / deviations.mad) > 3.5

),

-- a state-year value may come from several programmes' reports: attach each one
series_findings_by_report as (

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

warehouse_findings as (

    select * from parts_findings
    union all
    select * from convicted_findings
    union all
    select * from measure_findings
    union all
    select * from series_findings_by_report

),

intake_findings as (

    {%- if intake_findings %}
    select
        {{ 'intake.rule' if 'rule' in intake_columns else 'null' }}::text as rule_code,
        {{ 'intake.severity' if 'severity' in intake_columns else 'null' }}::text as severity,
        {{ 'intake.file_sha256' if 'file_sha256' in intake_columns else 'null' }}::text as report_id,
        {{ 'intake.suite' if 'suite' in intake_columns else 'null' }}::text as suite,
        {{ 'intake.source_sheet' if 'source_sheet' in intake_columns else 'null' }}::text as source_sheet,
        {{ 'intake.source_row' if 'source_row' in intake_columns else 'null' }}::integer as source_row,
        {{ 'intake.values_involved' if 'values_involved' in intake_columns else 'null' }}::text as values_involved,
        {{ 'intake.reason_en' if 'reason_en' in intake_columns else 'null' }}::text as message_en,
        {{ 'intake.reason_ru' if 'reason_ru' in intake_columns else 'null' }}::text as message_ru

    from {{ intake_findings }} as intake
    {%- if 'found_at' in intake_columns %}
    where {{ as_of_condition('intake.found_at') }}
    {%- endif %}
    {%- else %}
    -- audit.validation_findings does not exist (yet) in this warehouse
    select
        null::text as rule_code,
        null::text as severity,
        null::text as report_id,
        null::text as suite,
        null::text as source_sheet,
        null::integer as source_row,
        null::text as values_involved,
        null::text as message_en,
        null::text as message_ru
    where false
    {%- endif %}

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
            when 'parts_by_sex_equal_total' then 'сумма по полу не равна итогу'
            when 'age_parts_not_above_total' then 'сумма по возрастным группам больше итога'
            when 'convicted_not_above_prosecuted' then 'осуждённых больше, чем привлечённых к ответственности'
            when 'implemented_not_above_due' then 'выполненных мероприятий больше, чем запланированных'
            when 'year_over_year_jump' then 'резкое изменение по сравнению с прошлым годом'
            when 'modified_z_score_outlier' then 'выброс относительно медианы по годам'
        end
        || ' (' || warehouse_findings.left_value::text || ' ' || warehouse_findings.operator || ' '
        || coalesce(warehouse_findings.right_value::text, 'NULL') || ')' as message_ru,
        'Indicators' as source_sheet,
        warehouse_findings.source_row

    from warehouse_findings
    union all
    select
        'intake' as origin,
        coalesce(intake_findings.rule_code, 'intake_rule') as rule_code,
        coalesce(intake_findings.severity, 'warning') as severity,
        intake_findings.report_id,
        null as indicator_code,
        null as left_value,
        null as operator,
        null as right_value,
        intake_findings.values_involved,
        intake_findings.message_en,
        intake_findings.message_ru,
        intake_findings.source_sheet,
        intake_findings.source_row

    from intake_findings

),

final as (

    select
        md5(concat_ws(
            '|', all_findings.origin, all_findings.rule_code, all_findings.report_id,
            all_findings.indicator_code, all_findings.source_sheet, all_findings.source_row::text,
            all_findings.values_involved, all_findings.message_en
        ))::text as finding_key,
        all_findings.origin::text as origin,
        all_findings.rule_code::text as rule_code,
        all_findings.severity::text as severity,
        latest_reports.state_code::text as state_code,
        latest_reports.programme_code::text as programme_code,
        latest_reports.reporting_year::integer as reporting_year,
        all_findings.indicator_code::text as indicator_code,
        all_findings.left_value::numeric as left_value,
        all_findings.operator::text as operator,
        all_findings.right_value::numeric as right_value,
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

)

select distinct * from final
