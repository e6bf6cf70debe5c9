with

source as (

    select * from {{ ref('programmes') }}

),

renamed as (

    select
        programme_code,
        title_ru as programme_title_ru,
        title_en as programme_title_en,
        period_start_year,
        period_end_year,
        adopted_note

    from source

)

select * from renamed
