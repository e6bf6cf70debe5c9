{#
    The member states' own figures against UNODC GLOTIP (int_unodc_reconciliation):
    both values, the difference and a status per state x year x corresponding indicator.
#}
with

reconciliation as (

    select * from {{ ref('int_unodc_reconciliation') }}

),

correspondence as (

    select * from {{ ref('stg_reference__unodc_indicator_correspondence') }}

),

final as (

    select
        reconciliation.state_code::text as state_code,
        reconciliation.reporting_year::integer as reporting_year,
        reconciliation.indicator_code::text as indicator_code,
        correspondence.unodc_indicator::text as unodc_indicator,
        reconciliation.report_value::numeric(24, 4) as report_value,
        reconciliation.unodc_value::numeric(24, 4) as unodc_value,
        reconciliation.unodc_value_text::text as unodc_value_text,
        reconciliation.unodc_is_censored::boolean as unodc_is_censored,
        reconciliation.difference::numeric(24, 4) as difference,
        reconciliation.status::text as status,
        reconciliation.release_date::date as release_date,
        reconciliation.source_sha256::text as source_sha256,
        reconciliation.source_file::text as source_file

    from reconciliation
    inner join correspondence
        on reconciliation.indicator_code = correspondence.indicator_code

)

select * from final
