{#
    One row per reporting year, in the shape of the Executive Committee's statement.
    The figures are computed in int_headline_figures_computed from the headline_figures
    seed (which indicators make up each figure); this model only pivots them. The
    column names below are the seed's headline_column values (its accepted_values test
    keeps the two in step).
#}
{%- set headline_columns = [
    'crimes_identified',
    'persons_brought_to_justice',
    'criminal_groups_terminated',
    'migration_channels_blocked',
    'comprehensive_preventive_measures',
    'special_operations',
    'training_participants',
    'specialists_certified',
] -%}

with

headline_figures as (

    select * from {{ ref('int_headline_figures_computed') }}

),

latest_reports as (

    select * from {{ ref('int_reports_latest_version') }}

),

reports_per_year as (

    select
        reporting_year,
        count(*) as reports_used

    from latest_reports
    group by reporting_year

),

pivoted as (

    select
        reporting_year,
    {%- for column in headline_columns %}
    max(figure) filter (where headline_column = '{{ column }}') as {{ column }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}

    from headline_figures
    group by reporting_year

),

final as (

    select
        reports_per_year.reporting_year::integer as reporting_year,
        {%- for column in headline_columns %}
        pivoted.{{ column }}::bigint as {{ column }},
        {%- endfor %}
        reports_per_year.reports_used::integer as reports_used

    from reports_per_year
    left join pivoted
        on reports_per_year.reporting_year = pivoted.reporting_year

)

select * from final
