-- URS events tagged with the indicator they count towards:
--   URS01 entries registered, URS02 work permits issued, URS03 offences,
--   URS04 every registered event (its person count: distinct persons registered).
with

events as (

    select * from {{ ref('stg_urs__events') }}

),

tagged as (

    select
        event_date,
        state_code,
        citizenship_code,
        purpose_of_visit,
        person_pseudonym,
        case event_type
            when 'entry' then 'URS01'
            when 'work_permit' then 'URS02'
            when 'offence' then 'URS03'
        end as indicator_code
    from events
    where event_type in ('entry', 'work_permit', 'offence')

    union all

    select
        event_date,
        state_code,
        citizenship_code,
        purpose_of_visit,
        person_pseudonym,
        'URS04' as indicator_code
    from events

),

final as (

    select
        indicator_code,
        date_trunc('month', event_date)::date as event_month,
        state_code,
        citizenship_code,
        coalesce(purpose_of_visit, 'not_stated') as purpose_of_visit,
        person_pseudonym
    from tagged

)

select * from final
