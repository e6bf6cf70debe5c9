with

indicators as (

    select * from {{ ref('stg_reference__indicators') }}

),

final as (

    select
        indicator_code::text as indicator_code,
        indicator_name_en::text as indicator_name_en,
        indicator_name_ru::text as indicator_name_ru,
        definition_en::text as definition_en,
        unit::text as unit,
        disaggregations::text as disaggregations,
        aggregation::text as aggregation,
        numerator_code::text as numerator_code,
        denominator_code::text as denominator_code,
        programme_codes::text as programme_codes

    from indicators

)

select * from final
