{#
    Indicator values of the latest accepted report of each state x programme x year only.

    Incremental (a report annex can hold a million rows): the table remembers which
    reports its rows came from (report_id, indexed). Each build compares that with
    int_reports_latest_version and
      - deletes the rows of reports that no longer count (superseded by a newer version,
        or no longer accepted as of var('as_of')), in a pre-hook;
      - inserts the rows of the reports that count now and are not in the table yet.
    A report_id is the SHA-256 of its file, so a report's rows never change once loaded.
    One new report version therefore costs its own rows plus the delete of its
    predecessor's, not a pass over every value. `dbt build --full-refresh` rebuilds it whole.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[
            {'columns': ['report_id']},
            {
                'columns': ['state_code', 'programme_code', 'reporting_year', 'indicator_code', 'disaggregation'],
                'unique': true,
            },
        ],
        pre_hook="{{ delete_stale_report_rows(ref('int_reports_latest_version')) }}",
    )
}}

with

latest_reports as (

    select * from {{ ref('int_reports_latest_version') }}
    {%- if is_incremental() %}
    where {{ new_reports_condition('report_id', ref('int_reports_latest_version')) }}
    {%- endif %}

),

indicator_values as (

    select * from {{ ref('stg_raw__indicator_values') }}
    {%- if is_incremental() %}
    where {{ new_reports_condition('report_id', ref('int_reports_latest_version')) }}
    {%- endif %}

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
