-- depends_on: {{ source('urs', 'urs_events') }}
{#-
    URS events, one row per distinct event: an event delivered again in a later extract
    counts once. The raw table is created by the first URS intake (or `access apply`);
    until then this view is empty, so the rest of the project builds without the feed.
-#}
{%- set events = urs_events_relation() -%}

{%- if events is not none %}

with

source as (

    select * from {{ source('urs', 'urs_events') }}

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

{%- else %}

select
    null::text as event_type,
    null::text as person_pseudonym,
    null::text as citizenship_code,
    null::text as purpose_of_visit,
    null::text as state_code,
    null::text as border_crossing_point,
    null::date as event_date
where false

{%- endif %}
