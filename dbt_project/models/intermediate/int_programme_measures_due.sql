{# The measure registry expanded to one row per measure x year in which it is due. #}
with

programme_measures as (

    select * from {{ ref('stg_reference__programme_measures') }}

),

expanded as (

    select
        programme_measures.programme_measure_key,
        programme_measures.programme_code,
        programme_measures.measure_code,
        programme_measures.section_code,
        due_years.due_year::integer as due_year,
        programme_measures.deadline_kind,
        programme_measures.recurrence,
        programme_measures.is_illustrative

    from programme_measures
    cross join lateral generate_series(
        programme_measures.deadline_from_year,
        programme_measures.deadline_to_year
    ) as due_years (due_year)

)

select * from expanded
