{#
    Every accepted report version (ledger status `loaded`, or `superseded` when a higher
    version replaced it later), as it stood at var('as_of'): versions loaded after that
    moment are left out, so int_reports_latest_version picks the version that counted then.
    A superseded version was accepted when it was loaded; whether it still counts at
    as_of follows from which newer versions had been loaded by then (no superseded_at
    timestamp is needed). `received` (load interrupted) and `rejected` files never count,
    nor do `pending` ones (stored while their year was locked by a published edition of the
    Council report, held until an approver unlocks it). A held version that was released
    counts from its release (in_force_from = released_at), not from its arrival.
#}
with

report_headers as (

    select * from {{ ref('stg_raw__report_headers') }}

),

file_ledger as (

    select * from {{ ref('stg_audit__file_ledger') }}

),

final as (

    select
        report_headers.*,
        coalesce(file_ledger.released_at, report_headers.loaded_at) as in_force_from
    from report_headers
    inner join file_ledger
        on report_headers.report_id = file_ledger.file_sha256
    where
        file_ledger.ledger_status in ('loaded', 'superseded')
        and {{ as_of_condition('coalesce(file_ledger.released_at, report_headers.loaded_at)') }}

)

select * from final
