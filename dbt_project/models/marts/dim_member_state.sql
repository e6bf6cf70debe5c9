with

member_states as (

    select * from {{ ref('stg_reference__member_states') }}

),

final as (

    select
        state_code::text as state_code,
        iso3_code::text as iso3_code,
        state_name_ru::text as state_name_ru,
        state_name_en::text as state_name_en,
        membership_status::text as membership_status,
        member_from::date as member_from,
        member_to::date as member_to,
        (member_to is null)::boolean as is_current,
        membership_note::text as membership_note

    from member_states

)

select * from final
