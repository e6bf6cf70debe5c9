with

source as (

    select * from {{ ref('unodc_indicator_correspondence') }}

),

renamed as (

    select
        indicator_code,
        programme_code,
        unodc_indicator,
        unodc_dimension,
        unodc_category,
        unodc_sex,
        unodc_age,
        definition_difference_en,
        definition_difference_ru

    from source

)

select * from renamed
