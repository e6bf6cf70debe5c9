{# Indicator values of the latest accepted report of each state x programme x year only. #}
with

latest_reports as (

    select * from {{ ref('int_reports_latest_version') }}

),

indicator_values as (

    select * from {{ ref('stg_raw__indicator_values') }}

),

final as (

    select
        latest_reports.state_code,
        latest_reports.programme_code,
        latest_reports.reporting_year,
        indicator_values.indicator_code,
        indicator_values.disaggregation,
        indicator_values.is_total,
        indicator_values.disaggregation_dimension,
        indicator_values.disaggregation_member,
        indicator_values.value,
        indicator_values.is_reported,
        indicator_values.comment,
        latest_reports.report_id,
        indicator_values.source_file,
        indicator_values.source_sheet,
        indicator_values.source_row,
        latest_reports.report_version,
        latest_reports.submission_date

    from indicator_values
    inner join latest_reports
        on indicator_values.report_id = latest_reports.report_id

)

select * from final
