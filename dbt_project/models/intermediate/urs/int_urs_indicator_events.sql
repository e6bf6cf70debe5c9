-- URS events tagged with the indicator they count towards:
--   URS01 entries registered, URS02 work permits issued, URS03 offences,
--   URS04 every registered event (its person count: distinct persons registered).
-- Each event is read once (a lateral list of its tags), so a filter on event_month
-- reaches the events themselves: the incremental monthly counts read only their months.
with

events as (

    select * from {{ ref('stg_urs__events') }}

),

tagged as (

    select
        tags.indicator_code,
        events.event_date,
        events.state_code,
        events.citizenship_code,
        events.purpose_of_visit,
        events.person_pseudonym
    from events
    cross join
        lateral (
            values
            (
                case events.event_type
                    when 'entry' then 'URS01'
                    when 'work_permit' then 'URS02'
                    when 'offence' then 'URS03'
                end
            ),
            ('URS04')
        ) as tags (indicator_code)
    where tags.indicator_code is not null

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
