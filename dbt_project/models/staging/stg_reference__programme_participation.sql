with

source as (

    select * from {{ ref('programme_participation') }}

),

renamed as (

    select
        state_code,
        programme_code,
        valid_from_year,
        valid_to_year,
        note as participation_note

    from source

)

select * from renamed
