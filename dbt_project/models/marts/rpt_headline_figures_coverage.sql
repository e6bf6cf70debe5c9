{#
    What each headline figure is made of, year by year: for every reporting year x
    headline figure x programme x indicator, how many states reported the indicator
    (a total or, for joint operations, an operation row) in that programme's reports.
    A figure whose programmes or number of states change from one year to the next is
    not comparable across those years; the Council report says so beside its charts.
#}

with

indicator_values as (

    select * from {{ ref('int_indicator_values_accepted') }}

),

headline_figures as (

    select * from {{ ref('stg_reference__headline_figures') }}

),

-- One row per state's report and indicator first (the unique index's order, no sort of every
-- value): the counts of distinct states and reports below then run over thousands of rows,
-- not over every value (at 1M values 3.1 s -> under a second).
reported_by_state as (

    select
        indicator_values.state_code,
        indicator_values.programme_code,
        indicator_values.reporting_year,
        indicator_values.indicator_code,
        indicator_values.report_id,
        bool_or(indicator_values.is_reported and indicator_values.value is not null) as reported

    from indicator_values
    group by
        indicator_values.state_code,
        indicator_values.programme_code,
        indicator_values.reporting_year,
        indicator_values.indicator_code,
        indicator_values.report_id

),

final as (

    select
        reported_by_state.reporting_year::integer as reporting_year,
        headline_figures.headline_column::text as headline_column,
        reported_by_state.programme_code::text as programme_code,
        reported_by_state.indicator_code::text as indicator_code,
        count(distinct reported_by_state.state_code) filter (where reported_by_state.reported)::integer
        as states_reporting,
        count(distinct reported_by_state.report_id)::integer as reports_used

    from reported_by_state
    inner join headline_figures
        on reported_by_state.indicator_code = headline_figures.indicator_code
    group by
        reported_by_state.reporting_year,
        headline_figures.headline_column,
        reported_by_state.programme_code,
        reported_by_state.indicator_code

)

select * from final
