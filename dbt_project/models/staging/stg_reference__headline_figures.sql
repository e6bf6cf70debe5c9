with

source as (

    select * from {{ ref('headline_figures') }}

),

renamed as (

    select
        headline_column,
        indicator_code,
        display_order,
        label_en,
        label_ru

    from source

)

select * from renamed
