{#
    UNODC GLOTIP's totals added up over the reporting states (the CIS grouping is the
    warehouse's own: UNODC's regions split it), per indicator x year, from the release in
    force. A sum that includes a censored value ("<5") is a bound, never a figure: value is
    NULL and [value_lower_bound, value_upper_bound] holds every possible sum.
#}
with

glotip as (

    select * from {{ ref('int_unodc_glotip_in_force') }}
    where
        state_code is not null
        and dimension = 'Total' and category = 'Total' and sex = 'Total' and age = 'Total'

),

final as (

    select
        glotip.indicator::text as indicator,
        glotip.year::integer as reporting_year,
        count(*)::integer as states_published,
        (count(*) filter (where glotip.is_censored))::integer as states_censored,
        case when bool_or(glotip.is_censored) then null else sum(glotip.value) end::numeric(24, 4) as value,
        sum(glotip.value_lower_bound)::numeric(24, 4) as value_lower_bound,
        sum(glotip.value_upper_bound)::numeric(24, 4) as value_upper_bound,
        bool_or(glotip.is_censored)::boolean as is_bound,
        max(glotip.release_date)::date as release_date

    from glotip
    group by glotip.indicator, glotip.year

)

select * from final
