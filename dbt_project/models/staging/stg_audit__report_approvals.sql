with

source as (

    select * from {{ source('audit', 'report_approvals') }}

),

renamed as (

    select
        event_id,
        upper(state_code) as state_code,
        upper(programme_code) as programme_code,
        reporting_year,
        report_id,
        action as approval_action,
        note as approval_note,
        decided_by,
        decided_at

    from source

)

select * from renamed
