{#
    Indicator time series per state, ready for charts: one row per state x indicator x
    year in which the state was expected to report the indicator (it takes part in a
    programme carrying the indicator that year) or reported it. `value` is the state's
    'total', NULL when not reported or no report arrived (never 0).
    Ratio indicators (catalogue aggregation `ratio`) are recomputed per state from their
    numerator and denominator indicators; nothing here is specific to one indicator.
#}
with

expected_reports as (

    select * from {{ ref('int_reports_expected') }}

),

indicator_programmes as (

    select * from {{ ref('stg_reference__indicator_programmes') }}

),

indicators as (

    select * from {{ ref('stg_reference__indicators') }}

),

state_values as (

    select * from {{ ref('int_indicator_values_state_year') }}

),

expected_slots as (

    -- indicators a programme's report carries that year
    select
        expected_reports.state_code,
        indicator_programmes.indicator_code,
        expected_reports.reporting_year
    from expected_reports
    inner join indicator_programmes
        on
            expected_reports.programme_code = indicator_programmes.programme_code
            and expected_reports.reporting_year
            between indicator_programmes.valid_from_year and indicator_programmes.valid_to_year
    union
    -- derived and ratio indicators of every programme the state reports under
    select
        expected_reports.state_code,
        indicators.indicator_code,
        expected_reports.reporting_year
    from expected_reports
    inner join indicators
        on expected_reports.programme_code = any(string_to_array(indicators.programme_codes, '|'))
    where indicators.aggregation in ('derived', 'ratio')

),

slots as (

    select
        state_code,
        indicator_code,
        reporting_year,
        true as is_expected
    from expected_slots
    union all
    select
        state_values.state_code,
        state_values.indicator_code,
        state_values.reporting_year,
        false as is_expected
    from state_values
    where not exists (
            select 1 from expected_slots
            where
                expected_slots.state_code = state_values.state_code
                and expected_slots.indicator_code = state_values.indicator_code
                and expected_slots.reporting_year = state_values.reporting_year
        )

),

valued as (

    select
        slots.state_code,
        slots.indicator_code,
        slots.reporting_year,
        indicators.aggregation,
        slots.is_expected,
        case when indicators.aggregation = 'ratio' then numerators.value end as numerator_value,
        case when indicators.aggregation = 'ratio' then denominators.value end as denominator_value,
        case
            when indicators.aggregation = 'ratio'
                then numerators.value::numeric / nullif(denominators.value, 0)
            else state_values.value::numeric
        end as value,
        case
            when indicators.aggregation = 'ratio' then numerators.programme_codes
            else state_values.programme_codes
        end as programme_codes,
        case
            when indicators.aggregation = 'ratio' then numerators.source_files
            else state_values.source_files
        end as source_files

    from slots
    inner join indicators
        on slots.indicator_code = indicators.indicator_code
    left join state_values
        on
            slots.state_code = state_values.state_code
            and slots.indicator_code = state_values.indicator_code
            and slots.reporting_year = state_values.reporting_year
    left join state_values as numerators
        on
            slots.state_code = numerators.state_code
            and indicators.numerator_code = numerators.indicator_code
            and slots.reporting_year = numerators.reporting_year
    left join state_values as denominators
        on
            slots.state_code = denominators.state_code
            and indicators.denominator_code = denominators.indicator_code
            and slots.reporting_year = denominators.reporting_year

),

final as (

    select
        state_code::text as state_code,
        indicator_code::text as indicator_code,
        reporting_year::integer as reporting_year,
        value::numeric(24, 4) as value,
        (value is not null)::boolean as is_reported,
        numerator_value::bigint as numerator_value,
        denominator_value::bigint as denominator_value,
        aggregation::text as aggregation,
        is_expected::boolean as is_expected,
        programme_codes::text as programme_codes,
        source_files::text as source_files

    from valued

)

select * from final
