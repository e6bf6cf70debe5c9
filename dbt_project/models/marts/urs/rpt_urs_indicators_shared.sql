{#-
    The URS indicators every role may see (shared with all member states): a cell is one
    month x host state x indicator x citizenship x purpose of visit; each month x host state
    x indicator group also has a total row.

    Primary suppression: a cell with fewer than 5 persons (hence possibly fewer than 5
    events) shows NULL counts and is_suppressed.
    Secondary suppression: if a group has exactly one primarily suppressed cell, the next
    smallest cell of the group is suppressed too, so that the total minus the visible cells
    does not give it away.
    The total is shown only when it is safe: at least 5 persons, and either no cell of the
    group suppressed or the suppressed cells together holding at least 5 events.
    Counts are only published with these totals, so no other margin can recover a cell.
-#}
{%- set threshold = 5 -%}

with

cells as (

    select * from {{ ref('fct_urs_indicators_monthly') }}

),

primary_flagged as (

    select
        *,
        person_count < {{ threshold }} or event_count < {{ threshold }} as primary_suppressed
    from cells

),

ranked as (

    select
        *,
        count(*) filter (where primary_suppressed) over grp as primary_in_group,
        row_number() over (
            partition by indicator_code, event_month, state_code, primary_suppressed
            order by person_count, event_count, citizenship_code, purpose_of_visit
        ) as rank_in_class
    from primary_flagged
    window grp as (partition by indicator_code, event_month, state_code)

),

decided as (

    select
        *,
        case
            when primary_suppressed then 'primary'
            when primary_in_group = 1 and rank_in_class = 1 then 'secondary'
        end as suppression
    from ranked

),

groups as (

    select
        indicator_code,
        event_month,
        state_code,
        event_count,
        person_count
    from {{ ref('int_urs_indicators_monthly') }}
    where row_type = 'total'

),

group_suppression as (

    select
        indicator_code,
        event_month,
        state_code,
        count(*) filter (where suppression is not null) as suppressed_cells,
        coalesce(sum(event_count) filter (where suppression is not null), 0) as suppressed_events
    from decided
    group by indicator_code, event_month, state_code

),

cell_rows as (

    select
        indicator_code,
        event_month,
        state_code as host_state_code,
        'cell'::text as row_type,
        citizenship_code,
        purpose_of_visit,
        case when suppression is null then event_count end as event_count,
        case when suppression is null then person_count end as person_count,
        suppression is not null as is_suppressed,
        suppression
    from decided

),

group_verdicts as (

    select
        groups.indicator_code,
        groups.event_month,
        groups.state_code,
        groups.event_count,
        groups.person_count,
        groups.person_count >= {{ threshold }}
        and groups.event_count >= {{ threshold }}
        and (
            group_suppression.suppressed_cells = 0
            or group_suppression.suppressed_events >= {{ threshold }}
        ) as is_safe
    from groups
    inner join group_suppression
        on
            groups.indicator_code = group_suppression.indicator_code
            and groups.event_month = group_suppression.event_month
            and groups.state_code = group_suppression.state_code

),

total_rows as (

    select
        indicator_code,
        event_month,
        state_code as host_state_code,
        'total'::text as row_type,
        null::text as citizenship_code,
        null::text as purpose_of_visit,
        case when is_safe then event_count end as event_count,
        case when is_safe then person_count end as person_count,
        not is_safe as is_suppressed,
        case when not is_safe then 'total' end as suppression
    from group_verdicts

)

select * from cell_rows
union all
select * from total_rows
