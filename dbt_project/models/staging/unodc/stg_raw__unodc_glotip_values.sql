{#
    One row per published GLOTIP value of every loaded release (all countries), typed.
    value_text stays exactly as published; a censored value ("<5") has value NULL and the
    bounds of what it may be (0 .. 4), never a number in its place.
#}
with

source as (

    select * from {{ source('raw', 'unodc_glotip_values') }}

),

renamed as (

    select
        source_sha256,
        source_row::integer as source_row,
        upper(iso3_code) as iso3_code,
        country,
        region,
        subregion,
        indicator,
        dimension,
        category,
        sex,
        age,
        -- "year" is the column name the contract gives
        year::integer as year,  -- noqa: RF04
        unit,
        value_text,
        value_text like '<%' as is_censored

    from source

),

final as (

    select
        renamed.*,
        case when not renamed.is_censored then replace(renamed.value_text, ',', '')::numeric end as value,
        case
            when renamed.is_censored then 0::numeric
            else replace(renamed.value_text, ',', '')::numeric
        end as value_lower_bound,
        case
            when renamed.is_censored then substr(renamed.value_text, 2)::numeric - 1
            else replace(renamed.value_text, ',', '')::numeric
        end as value_upper_bound

    from renamed

)

select * from final
