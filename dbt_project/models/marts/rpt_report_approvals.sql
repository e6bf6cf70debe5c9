{#
    Approval status per state x programme x year with a report (accepted, or held by a
    period lock): the newest accepted version (macro newest_version_order), the version
    approved (int_report_approvals_current) and whether they are the same, and how many
    versions are held (ledger status `pending`: their year is locked until an approver
    unlocks it). The same rows in every build mode: the Council report's "approved
    versions only" edition names from here the reports not approved yet.
#}
with

accepted as (

    select * from {{ ref('int_reports_accepted') }}

),

approved as (

    select * from {{ ref('int_report_approvals_current') }}

),

file_ledger as (

    select * from {{ ref('stg_audit__file_ledger') }}

),

newest as (

    select
        *,
        row_number() over (
            partition by state_code, programme_code, reporting_year
            order by {{ newest_version_order() }}
        ) as version_rank

    from accepted

),

held as (

    select
        state_code,
        programme_code,
        reporting_year,
        count(*) as held_versions

    from file_ledger
    where ledger_status = 'pending'
    group by state_code, programme_code, reporting_year

),

slots as (

    select
        state_code,
        programme_code,
        reporting_year
    from accepted
    union
    select
        state_code,
        programme_code,
        reporting_year
    from held

),

final as (

    select
        slots.state_code::text as state_code,
        slots.programme_code::text as programme_code,
        slots.reporting_year::integer as reporting_year,
        newest.report_id::text as report_id,
        newest.report_version::integer as report_version,
        newest.source_file::text as source_file,
        approved.report_id::text as approved_report_id,
        approved_version.report_version::integer as approved_report_version,
        approved.approved_by::text as approved_by,
        approved.approved_at::timestamptz as approved_at,
        approved.approval_note::text as approval_note,
        (case
            when approved.report_id is null then 'not_approved'
            when approved.report_id = newest.report_id then 'approved'
            else 'newer_version_not_approved'
        end)::text as approval_status,
        coalesce(held.held_versions, 0)::integer as held_versions

    from slots
    left join newest
        on
            slots.state_code = newest.state_code
            and slots.programme_code = newest.programme_code
            and slots.reporting_year = newest.reporting_year
            and newest.version_rank = 1
    left join approved
        on
            slots.state_code = approved.state_code
            and slots.programme_code = approved.programme_code
            and slots.reporting_year = approved.reporting_year
    left join accepted as approved_version
        on approved.report_id = approved_version.report_id
    left join held
        on
            slots.state_code = held.state_code
            and slots.programme_code = held.programme_code
            and slots.reporting_year = held.reporting_year

)

select * from final
