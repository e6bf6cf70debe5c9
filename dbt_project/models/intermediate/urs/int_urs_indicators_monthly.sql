-- depends_on: {{ source('audit', 'urs_extract_ledger') }}
{#-
    URS counts by indicator x month x host state, in two kinds of rows:
      cell   one citizenship x purpose of visit: events and distinct persons;
      total  the whole indicator x month x host state: events and distinct persons
             (a person can have events with several purposes: not the sum of the cells).

    Incremental by month (the feed holds millions of events): every row lists the
    extracts with events in its month (source_extract_ids). A build recomputes only the
    months in which a loaded extract not listed yet has events (delete+insert by
    event_month), from every event of those months, so an event delivered again in a
    later extract still counts once and distinct persons stay exact. Extracts are only
    ever added (the ledger never drops a loaded one); `dbt build --full-refresh` rebuilds
    the whole table. Holds no person pseudonym.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_month',
        on_schema_change='fail',
    )
}}

{%- set months_to_build = urs_months_condition(
    'event_month', source('raw', 'urs_events'), source('audit', 'urs_extract_ledger')
) if is_incremental() else 'true' %}

with

events as (

    select * from {{ ref('int_urs_indicator_events') }}
    where {{ months_to_build }}

),

event_extracts as (

    select
        date_trunc('month', event_date)::date as event_month,
        extract_id
    from {{ source('raw', 'urs_events') }}

),

month_extracts as (

    select
        event_month,
        array_agg(
            distinct extract_id
            order by extract_id
        ) as source_extract_ids
    from event_extracts
    where {{ months_to_build }}
    group by event_month

),

counted as (

    select
        indicator_code,
        event_month,
        state_code,
        citizenship_code,
        purpose_of_visit,
        grouping(citizenship_code, purpose_of_visit) = 0 as is_cell,
        count(*)::bigint as event_count,
        count(distinct person_pseudonym)::bigint as person_count
    from events
    group by grouping sets (
        (indicator_code, event_month, state_code, citizenship_code, purpose_of_visit),
        (indicator_code, event_month, state_code)
    )

),

final as (

    select
        counted.indicator_code::text as indicator_code,
        counted.event_month::date as event_month,
        counted.state_code::text as state_code,
        (case when counted.is_cell then 'cell' else 'total' end)::text as row_type,
        counted.citizenship_code::text as citizenship_code,
        counted.purpose_of_visit::text as purpose_of_visit,
        counted.event_count,
        counted.person_count,
        month_extracts.source_extract_ids::text [] as source_extract_ids
    from counted
    inner join month_extracts
        on counted.event_month = month_extracts.event_month

)

select * from final
