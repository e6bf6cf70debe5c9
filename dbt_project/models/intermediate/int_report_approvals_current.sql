{#
    The approval in force of each state x programme x year (as of var('as_of')): its last
    decision, if that was an approval (a revocation leaves the report unapproved). One row
    per approved report; the version approved may since have been superseded.
#}
with

decisions as (

    select * from {{ ref('stg_audit__report_approvals') }}
    where {{ as_of_condition('decided_at') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by state_code, programme_code, reporting_year
            order by event_id desc
        ) as decision_rank

    from decisions

),

final as (

    select
        state_code,
        programme_code,
        reporting_year,
        report_id,
        approval_note,
        decided_by as approved_by,
        decided_at as approved_at

    from ranked
    where decision_rank = 1 and approval_action = 'approve'

)

select * from final
