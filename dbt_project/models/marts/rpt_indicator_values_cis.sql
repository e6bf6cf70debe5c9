{#
    CIS-wide value of every catalogue indicator per year, computed from the catalogue's
    `aggregation` alone (adding an indicator is a seed row, not a model):
      sum, derived         sum of the states' values (NULL when no state reported);
      distinct_operations  distinct `operation=...` codes with value > 0 across states,
                           so a joint operation counts once;
      ratio                sum of the numerator over the sum of the denominator, both
                           over the states that reported both (never an average of
                           the states' ratios).
#}
with

time_series as (

    select * from {{ ref('rpt_indicator_time_series') }}

),

indicator_values as (

    select * from {{ ref('int_indicator_values_accepted') }}

),

indicators as (

    select * from {{ ref('stg_reference__indicators') }}

),

by_state as (

    select
        indicator_code,
        reporting_year,
        max(aggregation) as aggregation,
        sum(value) as value_sum,
        sum(numerator_value) filter (
            where numerator_value is not null and denominator_value is not null
        ) as numerator_sum,
        sum(denominator_value) filter (
            where numerator_value is not null and denominator_value is not null
        ) as denominator_sum,
        count(value) as states_reporting,
        count(*) filter (where is_expected) as states_expected

    from time_series
    group by indicator_code, reporting_year

),

operations as (

    select
        indicator_values.indicator_code,
        indicator_values.reporting_year,
        count(distinct indicator_values.disaggregation_member) filter (
            where indicator_values.disaggregation_dimension = 'operation' and indicator_values.value > 0
        ) as distinct_operations

    from indicator_values
    inner join indicators
        on indicator_values.indicator_code = indicators.indicator_code
    where indicators.aggregation = 'distinct_operations'
    group by indicator_values.indicator_code, indicator_values.reporting_year

),

final as (

    select
        by_state.indicator_code::text as indicator_code,
        by_state.reporting_year::integer as reporting_year,
        by_state.aggregation::text as aggregation,
        (
            case
                when by_state.aggregation in ('sum', 'derived') then by_state.value_sum
                when by_state.aggregation = 'distinct_operations'
                    then case when by_state.states_reporting > 0 then operations.distinct_operations end
                when by_state.aggregation = 'ratio'
                    then by_state.numerator_sum / nullif(by_state.denominator_sum, 0)
            end
        )::numeric(24, 4) as value,
        by_state.numerator_sum::bigint as numerator_value,
        by_state.denominator_sum::bigint as denominator_value,
        by_state.states_reporting::integer as states_reporting,
        by_state.states_expected::integer as states_expected

    from by_state
    left join operations
        on
            by_state.indicator_code = operations.indicator_code
            and by_state.reporting_year = operations.reporting_year

)

select * from final
