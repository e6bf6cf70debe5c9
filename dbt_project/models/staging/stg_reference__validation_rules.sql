with

source as (

    select * from {{ ref('validation_rules') }}

),

renamed as (

    select
        rule_code,
        scope,
        checked_by,
        suite,
        severity,
        blocking,
        in_council_report,
        factor,
        floor,
        z_limit,
        min_years,
        level_share,
        message_en,
        message_ru,
        description_en,
        description_ru

    from source

)

select * from renamed
