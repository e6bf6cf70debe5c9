with

programmes as (

    select * from {{ ref('stg_reference__programmes') }}

),

participation as (

    select * from {{ ref('stg_reference__programme_participation') }}

),

participants as (

    select
        programme_code,
        count(distinct state_code) as participating_states

    from participation
    group by programme_code

),

final as (

    select
        programmes.programme_code::text as programme_code,
        programmes.programme_title_ru::text as programme_title_ru,
        programmes.programme_title_en::text as programme_title_en,
        programmes.period_start_year::integer as period_start_year,
        programmes.period_end_year::integer as period_end_year,
        coalesce(participants.participating_states, 0)::integer as participating_states,
        programmes.adopted_note::text as adopted_note

    from programmes
    left join participants
        on programmes.programme_code = participants.programme_code

)

select * from final
