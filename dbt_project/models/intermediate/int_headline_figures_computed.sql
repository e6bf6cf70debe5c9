{#
    Headline figures in long form: one row per reporting year x headline figure.
    Which indicators feed a figure comes from the headline_figures seed; how they
    combine across states comes from the indicator catalogue:
      sum                  sum of the states' 'total' rows (all programmes);
      distinct_operations  count of distinct 'operation=...' codes with value > 0 across
                           states, so an operation several states took part in counts once.
    A figure no state reported (only NULL values, or no rows) stays NULL, never 0.

    A table, not a view: it reads every accepted value (a large annex holds a million
    rows); its tests and rpt_headline_figures then read the few computed rows.
#}
{{ config(materialized='table') }}

with

latest_reports as (

    select * from {{ ref('int_reports_latest_version') }}

),

indicator_values as (

    select * from {{ ref('int_indicator_values_accepted') }}

),

headline_figures as (

    select * from {{ ref('stg_reference__headline_figures') }}

),

indicators as (

    select * from {{ ref('stg_reference__indicators') }}

),

headline_columns as (

    select distinct headline_column from headline_figures

),

reporting_years as (

    select distinct reporting_year from latest_reports

),

figure_parts as (

    select
        headline_figures.headline_column,
        headline_figures.indicator_code,
        indicators.aggregation
    from headline_figures
    inner join indicators
        on headline_figures.indicator_code = indicators.indicator_code

),

-- read once by each figure below: not materialized (a million rows spilled to disk)
values_by_figure as not materialized (

    select
        figure_parts.headline_column,
        figure_parts.aggregation,
        indicator_values.reporting_year,
        indicator_values.is_total,
        indicator_values.disaggregation_dimension,
        indicator_values.disaggregation_member,
        indicator_values.value
    from indicator_values
    inner join figure_parts
        on indicator_values.indicator_code = figure_parts.indicator_code

),

summed as (

    select
        reporting_year,
        headline_column,
        sum(value)::bigint as figure
    from values_by_figure
    where aggregation = 'sum' and is_total
    group by reporting_year, headline_column

),

distinct_operations as (

    select
        reporting_year,
        headline_column,
        case
            -- no state reported a figure at all: unknown, not zero
            when count(value) = 0 then null
            -- bytewise ("C"): the same distinct codes, sorted faster
            else count(distinct disaggregation_member collate "C") filter (
                    where disaggregation_dimension = 'operation' and value > 0
                )
        end::bigint as figure
    from values_by_figure
    where aggregation = 'distinct_operations'
    group by reporting_year, headline_column

),

figures as (

    select * from summed
    union all
    select * from distinct_operations

),

final as (

    select
        reporting_years.reporting_year,
        headline_columns.headline_column,
        figures.figure
    from reporting_years
    cross join headline_columns
    left join figures
        on
            reporting_years.reporting_year = figures.reporting_year
            and headline_columns.headline_column = figures.headline_column

)

select * from final
