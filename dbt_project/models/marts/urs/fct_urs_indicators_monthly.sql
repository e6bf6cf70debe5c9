-- Exact URS counts by month, host state, citizenship and purpose of visit (no suppression:
-- row-level security shows each state role its own host-state rows only).
with

counts as (

    select * from {{ ref('int_urs_indicators_monthly') }}

),

final as (

    select
        indicator_code,
        event_month,
        state_code,
        citizenship_code,
        purpose_of_visit,
        event_count,
        person_count
    from counts
    where row_type = 'cell'

)

select * from final
