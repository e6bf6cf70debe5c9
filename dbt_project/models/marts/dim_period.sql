{#
    Reporting periods: one row per calendar year covered by a programme (2014-2019 with
    the shipped seeds). Every figure of the marts is yearly.
#}
with

programmes as (

    select * from {{ ref('stg_reference__programmes') }}

),

years as (

    select generate_series(min(period_start_year), max(period_end_year)) as reporting_year
    from programmes

),

final as (

    select
        years.reporting_year::integer as reporting_year,
        make_date(years.reporting_year, 1, 1)::date as period_start_date,
        make_date(years.reporting_year, 12, 31)::date as period_end_date,
        (years.reporting_year::text)::text as period_label_en,
        (years.reporting_year::text || ' год')::text as period_label_ru,
        count(programmes.programme_code)::integer as programmes_running,
        coalesce(string_agg(
            programmes.programme_code, '|'
            order by programmes.programme_code
        ), '')::text
        as programme_codes

    from years
    left join programmes
        on years.reporting_year between programmes.period_start_year and programmes.period_end_year
    group by years.reporting_year

)

select * from final
