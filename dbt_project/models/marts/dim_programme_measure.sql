with

programme_measures as (

    select * from {{ ref('stg_reference__programme_measures') }}

),

final as (

    select
        programme_measure_key::text as programme_measure_key,
        programme_code::text as programme_code,
        measure_code::text as measure_code,
        section_code::text as section_code,
        section_title_ru::text as section_title_ru,
        section_title_en::text as section_title_en,
        measure_text_ru::text as measure_text_ru,
        measure_text_en::text as measure_text_en,
        deadline_kind::text as deadline_kind,
        deadline_from_year::integer as deadline_from_year,
        deadline_to_year::integer as deadline_to_year,
        recurrence::text as recurrence,
        executors::text as executors,
        decision_body::text as decision_body,
        is_illustrative::boolean as is_illustrative

    from programme_measures

)

select * from final
