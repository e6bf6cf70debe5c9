{#
    Measure statuses from the latest accepted report of each state x programme x year,
    with the registry key and whether the measure is due in that year.
#}
with

latest_reports as (

    select * from {{ ref('int_reports_latest_version') }}

),

measure_status as (

    select * from {{ ref('stg_raw__measure_status') }}

),

measures_due as (

    select * from {{ ref('int_programme_measures_due') }}

),

final as (

    select
        latest_reports.state_code,
        latest_reports.programme_code,
        latest_reports.reporting_year,
        latest_reports.programme_code || ':' || measure_status.measure_code as programme_measure_key,
        measure_status.measure_code,
        measure_status.status,
        measures_due.programme_measure_key is not null as is_due,
        measure_status.narrative,
        latest_reports.report_id,
        measure_status.source_file,
        measure_status.source_sheet,
        measure_status.source_row,
        latest_reports.report_version

    from measure_status
    inner join latest_reports
        on measure_status.report_id = latest_reports.report_id
    left join measures_due
        on
            latest_reports.programme_code = measures_due.programme_code
            and measure_status.measure_code = measures_due.measure_code
            and latest_reports.reporting_year = measures_due.due_year

)

select * from final
