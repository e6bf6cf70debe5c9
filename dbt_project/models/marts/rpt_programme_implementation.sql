{#
    One row per reported state x programme x year (latest report). measures_due comes
    from the registry (measures whose deadline covers the year); the status counts come
    from the report and only count measures that are due, so implemented <= due.
    implementation_rate = measures_implemented / measures_due, NULL when nothing is due.
#}
with

latest_reports as (

    select * from {{ ref('int_reports_latest_version') }}

),

measures_due as (

    select * from {{ ref('int_programme_measures_due') }}

),

measure_status as (

    select * from {{ ref('int_measure_status_latest') }}

),

due_counts as (

    select
        programme_code,
        due_year,
        count(*) as measures_due

    from measures_due
    group by programme_code, due_year

),

status_counts as (

    select
        report_id,
        count(*) filter (where is_due) as measures_reported,
        count(*) filter (where is_due and status = 'implemented') as measures_implemented,
        count(*) filter (where is_due and status = 'in_progress') as measures_in_progress,
        count(*) filter (where is_due and status = 'not_implemented') as measures_not_implemented,
        count(*) filter (where is_due and status = 'postponed') as measures_postponed,
        count(*) filter (where not is_due) as statuses_not_due

    from measure_status
    group by report_id

),

final as (

    select
        latest_reports.state_code::text as state_code,
        latest_reports.programme_code::text as programme_code,
        latest_reports.reporting_year::integer as reporting_year,
        coalesce(due_counts.measures_due, 0)::integer as measures_due,
        coalesce(status_counts.measures_reported, 0)::integer as measures_reported,
        coalesce(status_counts.measures_implemented, 0)::integer as measures_implemented,
        coalesce(status_counts.measures_in_progress, 0)::integer as measures_in_progress,
        coalesce(status_counts.measures_not_implemented, 0)::integer as measures_not_implemented,
        coalesce(status_counts.measures_postponed, 0)::integer as measures_postponed,
        coalesce(status_counts.statuses_not_due, 0)::integer as statuses_not_due,
        (
            coalesce(status_counts.measures_implemented, 0)::numeric
            / nullif(due_counts.measures_due, 0)
        )::numeric(7, 4) as implementation_rate,
        latest_reports.report_id::text as report_id,
        latest_reports.source_file::text as source_file

    from latest_reports
    left join due_counts
        on
            latest_reports.programme_code = due_counts.programme_code
            and latest_reports.reporting_year = due_counts.due_year
    left join status_counts
        on latest_reports.report_id = status_counts.report_id

)

select * from final
