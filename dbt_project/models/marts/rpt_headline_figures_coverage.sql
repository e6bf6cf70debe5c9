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

final as (

    select
        indicator_values.reporting_year::integer as reporting_year,
        headline_figures.headline_column::text as headline_column,
        indicator_values.programme_code::text as programme_code,
        indicator_values.indicator_code::text as indicator_code,
        count(distinct indicator_values.state_code) filter (
            where indicator_values.is_reported and indicator_values.value is not null
        )::integer as states_reporting,
        count(distinct indicator_values.report_id)::integer as reports_used

    from indicator_values
    inner join headline_figures
        on indicator_values.indicator_code = headline_figures.indicator_code
    group by
        indicator_values.reporting_year,
        headline_figures.headline_column,
        indicator_values.programme_code,
        indicator_values.indicator_code

)

select * from final
