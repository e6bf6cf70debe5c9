with

source as (

    select * from {{ ref('indicators') }}

),

renamed as (

    select
        indicator_code,
        name_en as indicator_name_en,
        name_ru as indicator_name_ru,
        definition_en,
        unit,
        disaggregations,
        aggregation,
        numerator_code,
        denominator_code,
        programme_codes

    from source

)

select * from renamed
