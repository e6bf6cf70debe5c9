{#-
    The URS indicators every role may see (shared with all member states): a cell is one
    month x host state x indicator x citizenship x purpose of visit; each month x host state
    x indicator group also has a total row.

    Disclosure control over the linked tables (README, "URS disclosure control"): the four
    indicators of one month x host state count the same events and persons (an entry is
    counted in URS01 and URS04), so they are protected together, as one table:

    1. primary: a citizenship x purpose coordinate with fewer than 5 persons or events in
       any indicator is suppressed in every indicator where it exists (a cell visible in
       URS04 would bound the same persons' cell in URS01, and the other way round);
    2. complementary: every indicator whose suppressed cells are fewer than two, or hold
       fewer than 4 events beyond one each (so that a suppressed count could be narrowed to
       fewer than 5 values), gets its smallest visible coordinate suppressed too, again in
       every indicator; repeated over four rounds, since a coordinate suppressed for
       one indicator may leave another with a single suppressed cell;
    3. an indicator that still fails with no visible cell left has its total suppressed; a
       month x host state that still fails after the rounds is suppressed whole.
    A total with fewer than 5 persons or events is suppressed. Why a suppressed cell is
    suppressed is not published: "primary" would tell an analyst it is below 5.

    Each month x host state is decided from its own counts only and nothing published adds
    months or host states up, so a new month never changes an old month's rows.
    tests/integration/urs/test_urs_disclosure.py attacks the published set with a linear
    programme over every relation between its figures.
-#}
{%- set threshold = 5 -%}
{%- set slack_needed = threshold - 1 -%}
{%- set rounds = 4 -%}

with

cells as (

    select * from {{ ref('fct_urs_indicators_monthly') }}

),

totals as (

    select
        indicator_code,
        event_month,
        state_code,
        event_count,
        person_count
    from {{ ref('int_urs_indicators_monthly') }}
    where row_type = 'total'

),

hidden_0 as (

    select distinct
        event_month,
        state_code,
        citizenship_code,
        purpose_of_visit
    from cells
    where person_count < {{ threshold }} or event_count < {{ threshold }}

),

{%- for r in range(rounds + 1) %}

flagged_{{ r }} as (

    select
        cells.*,
        hidden_{{ r }}.state_code is not null as is_hidden
    from cells
    left join hidden_{{ r }}
        on
            cells.event_month = hidden_{{ r }}.event_month
            and cells.state_code = hidden_{{ r }}.state_code
            and cells.citizenship_code = hidden_{{ r }}.citizenship_code
            and cells.purpose_of_visit = hidden_{{ r }}.purpose_of_visit

),

status_{{ r }} as (

    select
        indicator_code,
        event_month,
        state_code,
        count(*) filter (where is_hidden) as hidden_cells,
        count(*) filter (where not is_hidden) as visible_cells,
        coalesce(sum(event_count - 1) filter (where is_hidden), 0) as hidden_slack
    from flagged_{{ r }}
    group by indicator_code, event_month, state_code

),

failing_{{ r }} as (

    select *
    from status_{{ r }}
    where hidden_cells > 0 and (hidden_cells < 2 or hidden_slack < {{ slack_needed }})

),

{%- if r < rounds %}

picks_{{ r }} as (

    select distinct on (flagged.indicator_code, flagged.event_month, flagged.state_code)
        flagged.event_month,
        flagged.state_code,
        flagged.citizenship_code,
        flagged.purpose_of_visit
    from flagged_{{ r }} as flagged
    inner join failing_{{ r }} as failing
        on
            flagged.indicator_code = failing.indicator_code
            and flagged.event_month = failing.event_month
            and flagged.state_code = failing.state_code
    where not flagged.is_hidden
    order by
        flagged.indicator_code,
        flagged.event_month,
        flagged.state_code,
        flagged.event_count,
        flagged.person_count,
        flagged.citizenship_code,
        flagged.purpose_of_visit

),

hidden_{{ r + 1 }} as (

    select * from hidden_{{ r }}
    union
    select * from picks_{{ r }}

),

{%- endif %}
{%- endfor %}

whole_groups_hidden as (

    -- still failing with visible cells left after every round: the month x host state whole
    select distinct
        event_month,
        state_code
    from failing_{{ rounds }}
    where visible_cells > 0

),

cell_verdicts as (

    select
        flagged.indicator_code,
        flagged.event_month,
        flagged.state_code,
        flagged.citizenship_code,
        flagged.purpose_of_visit,
        flagged.event_count,
        flagged.person_count,
        flagged.is_hidden or whole_groups_hidden.state_code is not null as is_suppressed
    from flagged_{{ rounds }} as flagged
    left join whole_groups_hidden
        on
            flagged.event_month = whole_groups_hidden.event_month
            and flagged.state_code = whole_groups_hidden.state_code

),

total_verdicts as (

    select
        totals.indicator_code,
        totals.event_month,
        totals.state_code,
        totals.event_count,
        totals.person_count,
        totals.person_count < {{ threshold }}
        or totals.event_count < {{ threshold }}
        or failing.state_code is not null
        or whole_groups_hidden.state_code is not null as is_suppressed
    from totals
    left join failing_{{ rounds }} as failing
        on
            totals.indicator_code = failing.indicator_code
            and totals.event_month = failing.event_month
            and totals.state_code = failing.state_code
    left join whole_groups_hidden
        on
            totals.event_month = whole_groups_hidden.event_month
            and totals.state_code = whole_groups_hidden.state_code

),

cell_rows as (

    select
        indicator_code,
        event_month,
        state_code as host_state_code,
        'cell'::text as row_type,
        citizenship_code,
        purpose_of_visit,
        case when not is_suppressed then event_count end as event_count,
        case when not is_suppressed then person_count end as person_count,
        is_suppressed
    from cell_verdicts

),

total_rows as (

    select
        indicator_code,
        event_month,
        state_code as host_state_code,
        'total'::text as row_type,
        null::text as citizenship_code,
        null::text as purpose_of_visit,
        case when not is_suppressed then event_count end as event_count,
        case when not is_suppressed then person_count end as person_count,
        is_suppressed
    from total_verdicts

),

final as (

    select * from cell_rows
    union all
    select * from total_rows

)

select * from final
