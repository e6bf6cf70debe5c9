-- Exact URS counts by month, host state, citizenship and purpose of visit (no suppression:
-- row-level security shows each state role its own host-state rows only).
select
    indicator_code,
    event_month,
    state_code,
    citizenship_code,
    purpose_of_visit,
    count(*)::bigint as event_count,
    count(distinct person_pseudonym)::bigint as person_count
from {{ ref('int_urs_indicator_events') }}
group by indicator_code, event_month, state_code, citizenship_code, purpose_of_visit
