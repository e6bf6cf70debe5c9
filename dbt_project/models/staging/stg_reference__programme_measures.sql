with

source as (

    select * from {{ ref('programme_measures') }}

),

renamed as (

    select
        programme_code || ':' || measure_code as programme_measure_key,
        programme_code,
        measure_code,
        section_code,
        section_title_ru,
        section_title_en,
        text_ru as measure_text_ru,
        text_en as measure_text_en,
        deadline_kind,
        deadline_from_year,
        deadline_to_year,
        recurrence,
        executors,
        decision_body,
        is_illustrative

    from source

)

select * from renamed
