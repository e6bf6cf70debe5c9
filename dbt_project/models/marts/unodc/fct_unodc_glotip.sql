{#
    One row per value UNODC published in the GLOTIP release in force, every country
    (state_code NULL outside the reporting states). value_text is exactly as published;
    a censored value ("<5") has value NULL, is_censored true and the bounds 0 .. 4: it is
    never 0, 5 or 2.5. A sum over rows with a censored value is a bound, not a figure.
#}
with

glotip as (

    select * from {{ ref('int_unodc_glotip_in_force') }}

),

final as (

    select
        iso3_code::text as iso3_code,
        state_code::text as state_code,
        -- "year" is the column name the contract gives
        year::integer as year,  -- noqa: RF04
        indicator::text as indicator,
        dimension::text as dimension,
        category::text as category,
        sex::text as sex,
        age::text as age,
        unit::text as unit,
        value::numeric(24, 4) as value,
        value_text::text as value_text,
        is_censored::boolean as is_censored,
        release_date::date as release_date,
        source_sha256::text as source_sha256,
        value_lower_bound::numeric(24, 4) as value_lower_bound,
        value_upper_bound::numeric(24, 4) as value_upper_bound,
        country::text as country,
        source_row::integer as source_row

    from glotip

)

select * from final
