{#
    One value per state x indicator x year for every count indicator of the catalogue
    (aggregation sum, distinct_operations or derived), from the latest accepted reports:
      - reported indicators: the state's 'total' rows, added up across the programmes
        that carry the indicator that year (IM01 is reported under CR in 2014, under IM
        later); NULL when the state reported none of them (not reported is never 0);
      - derived indicators: PRG01 measures due (registry) and PRG02 measures implemented
        (of those due), from the measure statuses of the state's latest reports.
    Ratio indicators are not here: they are recomputed from these parts downstream.
#}
with

latest_reports as (

    select * from {{ ref('int_reports_latest_version') }}

),

indicator_values as (

    select * from {{ ref('int_indicator_values_accepted') }}

),

measure_status as (

    select * from {{ ref('int_measure_status_latest') }}

),

measures_due as (

    select * from {{ ref('int_programme_measures_due') }}

),

indicators as (

    select * from {{ ref('stg_reference__indicators') }}

),

reported as (

    select
        indicator_values.state_code,
        indicator_values.indicator_code,
        indicator_values.reporting_year,
        sum(indicator_values.value)::bigint as value,
        string_agg(distinct indicator_values.programme_code, '|') as programme_codes,
        string_agg(distinct indicator_values.source_file, '|') as source_files

    from indicator_values
    inner join indicators
        on indicator_values.indicator_code = indicators.indicator_code
    where
        indicator_values.is_total
        and indicators.aggregation in ('sum', 'distinct_operations')
    group by indicator_values.state_code, indicator_values.indicator_code, indicator_values.reporting_year

),

due_counts as (

    select
        latest_reports.report_id,
        count(measures_due.programme_measure_key) as measures_due

    from latest_reports
    left join measures_due
        on
            latest_reports.programme_code = measures_due.programme_code
            and latest_reports.reporting_year = measures_due.due_year
    group by latest_reports.report_id

),

implemented_counts as (

    select
        report_id,
        count(*) filter (where is_due and status = 'implemented') as measures_implemented

    from measure_status
    group by report_id

),

derived_per_report as (

    select
        latest_reports.state_code,
        latest_reports.programme_code,
        latest_reports.reporting_year,
        latest_reports.source_file,
        due_counts.measures_due,
        coalesce(implemented_counts.measures_implemented, 0) as measures_implemented

    from latest_reports
    inner join due_counts
        on latest_reports.report_id = due_counts.report_id
    left join implemented_counts
        on latest_reports.report_id = implemented_counts.report_id

),

derived as (

    select
        derived_per_report.state_code,
        indicators.indicator_code,
        derived_per_report.reporting_year,
        sum(
            case indicators.indicator_code
                when 'PRG01' then derived_per_report.measures_due
                when 'PRG02' then derived_per_report.measures_implemented
            end
        )::bigint as value,
        string_agg(distinct derived_per_report.programme_code, '|') as programme_codes,
        string_agg(distinct derived_per_report.source_file, '|') as source_files

    from derived_per_report
    inner join indicators
        on derived_per_report.programme_code = any(string_to_array(indicators.programme_codes, '|'))
    where indicators.aggregation = 'derived'
    group by derived_per_report.state_code, indicators.indicator_code, derived_per_report.reporting_year

),

final as (

    select * from reported
    union all
    select * from derived

)

select * from final
