{#
    Reporting completeness and timeliness (DHIS2 reporting rates), one row per state x
    programme x year where a report was expected or received:
      expected   the state takes part in the programme that year and is a member
                 (int_reports_expected; non-participants and former members are not);
      received   an accepted report exists (as of var('as_of')) for an expected slot;
      on time    the submission_date of the first version received (the earliest loaded,
                 whatever its version) <= report_deadline (seed reporting_deadlines;
                 assumption: 1 March of the following year); a correction, whatever date
                 it carries, never changes it. This model is timeliness's one owner.
    Rates are received / expected and on time / expected (NULL when nothing is expected).
#}
with

expected as (

    select * from {{ ref('int_reports_expected') }}

),

accepted_reports as (

    select * from {{ ref('int_reports_accepted') }}

),

latest_reports as (

    select * from {{ ref('int_reports_latest_version') }}

),

received as (

    select
        state_code,
        programme_code,
        reporting_year,
        (array_agg(
            submission_date
            order by loaded_at, report_version, report_id
        ))[1] as first_submission_date,
        count(*) as versions_received

    from accepted_reports
    group by state_code, programme_code, reporting_year

),

slots as (

    select
        state_code,
        programme_code,
        reporting_year
    from expected
    union
    select
        state_code,
        programme_code,
        reporting_year
    from received

),

counted as (

    select
        slots.state_code,
        slots.programme_code,
        slots.reporting_year,
        expected.report_deadline,
        received.first_submission_date,
        latest_reports.report_id,
        latest_reports.source_file,
        expected.state_code is not null as is_expected,
        received.state_code is not null as is_received,
        coalesce(received.versions_received, 0) as versions_received,
        case when expected.state_code is not null then 1 else 0 end as reports_expected,
        case
            when expected.state_code is not null and received.state_code is not null then 1 else 0
        end as reports_received,
        case
            when
                expected.state_code is not null
                and received.first_submission_date <= expected.report_deadline
                then 1
            else 0
        end as reports_on_time

    from slots
    left join expected
        on
            slots.state_code = expected.state_code
            and slots.programme_code = expected.programme_code
            and slots.reporting_year = expected.reporting_year
    left join received
        on
            slots.state_code = received.state_code
            and slots.programme_code = received.programme_code
            and slots.reporting_year = received.reporting_year
    left join latest_reports
        on
            slots.state_code = latest_reports.state_code
            and slots.programme_code = latest_reports.programme_code
            and slots.reporting_year = latest_reports.reporting_year

),

final as (

    select
        state_code::text as state_code,
        programme_code::text as programme_code,
        reporting_year::integer as reporting_year,
        is_expected::boolean as is_expected,
        is_received::boolean as is_received,
        report_deadline::date as report_deadline,
        first_submission_date::date as first_submission_date,
        versions_received::integer as versions_received,
        reports_expected::integer as reports_expected,
        reports_received::integer as reports_received,
        reports_on_time::integer as reports_on_time,
        (reports_received::numeric / nullif(reports_expected, 0))::numeric(7, 4) as completeness_rate,
        (reports_on_time::numeric / nullif(reports_expected, 0))::numeric(7, 4) as timeliness_rate,
        report_id::text as report_id,
        source_file::text as source_file

    from counted

)

select * from final
