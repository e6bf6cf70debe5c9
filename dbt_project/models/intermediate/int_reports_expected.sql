{#
    The reports expected: one row per state x programme x year in which the state takes
    part in the programme (programme_participation validity) AND is a member of the CIS
    (or associate member) at the end of that year (member_states validity). A state that
    never signed a programme, or had left the CIS by the end of the year, is not expected.
    report_deadline comes from the reporting_deadlines seed (an assumption: 1 March of
    the following year). In a history build (var('as_of')) only the reports already due
    by that moment are expected: a year whose deadline had not come is not missing.
#}
with

participation as (

    select * from {{ ref('stg_reference__programme_participation') }}

),

member_states as (

    select * from {{ ref('stg_reference__member_states') }}

),

programmes as (

    select * from {{ ref('stg_reference__programmes') }}

),

deadlines as (

    select * from {{ ref('stg_reference__reporting_deadlines') }}

),

participation_years as (

    select
        participation.state_code,
        participation.programme_code,
        years.reporting_year::integer as reporting_year

    from participation
    cross join lateral generate_series(
        participation.valid_from_year, participation.valid_to_year
    ) as years (reporting_year)

),

final as (

    select
        participation_years.state_code,
        participation_years.programme_code,
        participation_years.reporting_year,
        make_date(
            participation_years.reporting_year + deadlines.deadline_years_after,
            deadlines.deadline_month,
            deadlines.deadline_day
        ) as report_deadline

    from participation_years
    inner join member_states
        on participation_years.state_code = member_states.state_code
    inner join programmes
        on participation_years.programme_code = programmes.programme_code
    inner join deadlines
        on participation_years.programme_code = deadlines.programme_code
    where
        participation_years.reporting_year
        between programmes.period_start_year and programmes.period_end_year
        and member_states.member_from <= make_date(participation_years.reporting_year, 12, 31)
        and (
            member_states.member_to is null
            or member_states.member_to > make_date(participation_years.reporting_year, 12, 31)
        )
        and {{ as_of_condition(
            "make_date(participation_years.reporting_year + deadlines.deadline_years_after, "
            ~ "deadlines.deadline_month, deadlines.deadline_day)"
        ) }}

)

select * from final
