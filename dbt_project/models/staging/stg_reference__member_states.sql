with

source as (

    select * from {{ ref('member_states') }}

),

renamed as (

    select
        state_code,
        iso3_code,
        name_ru as state_name_ru,
        name_en as state_name_en,
        status as membership_status,
        member_from,
        member_to,
        note as membership_note

    from source

)

select * from renamed
