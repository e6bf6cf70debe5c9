with

source as (

    select * from {{ ref('indicator_programmes') }}

),

renamed as (

    select
        indicator_code,
        programme_code,
        valid_from_year,
        valid_to_year

    from source

)

select * from renamed
