{#-
    URS events, one row per distinct event: an event delivered again in a later extract
    counts once.
-#}

with

source as (

    select * from {{ source('raw', 'urs_events') }}

),

renamed as (

    select distinct
        lower(event_type) as event_type,
        person_pseudonym,
        upper(citizenship) as citizenship_code,
        lower(purpose_of_visit) as purpose_of_visit,
        upper(host_state) as state_code,
        border_crossing_point,
        event_date::date as event_date

    from source

)

select * from renamed
