{#
    The member states' own figures against UNODC GLOTIP, per state x year x corresponding
    indicator (seed unodc_indicator_correspondence), for the state-years a state takes part
    in the indicator's programme. Status:
      equal                  report = UNODC
      differs                report <> UNODC (an uncensored UNODC value)
      censored_consistent    UNODC published "<N" and the report is within 0 .. N-1
      censored_inconsistent  UNODC published "<N" and the report is N or more
      only_in_report         the report has a value, UNODC none
      only_at_unodc          UNODC has a value, the report none (not reported or no report)
    A censored UNODC value is never taken as a number: difference is NULL for it.
#}
with

correspondence as (

    select * from {{ ref('stg_reference__unodc_indicator_correspondence') }}

),

participation as (

    select * from {{ ref('stg_reference__programme_participation') }}

),

glotip as (

    select * from {{ ref('int_unodc_glotip_in_force') }}

),

indicator_values as (

    select * from {{ ref('int_indicator_values_accepted') }}

),

unodc as (

    select
        glotip.state_code,
        glotip.year as reporting_year,
        correspondence.indicator_code,
        correspondence.programme_code,
        glotip.value,
        glotip.value_text,
        glotip.is_censored,
        glotip.value_lower_bound,
        glotip.value_upper_bound,
        glotip.release_date,
        glotip.source_sha256,
        glotip.source_row

    from glotip
    inner join correspondence
        on
            glotip.indicator = correspondence.unodc_indicator
            and glotip.dimension = correspondence.unodc_dimension
            and glotip.category = correspondence.unodc_category
            and glotip.sex = correspondence.unodc_sex
            and glotip.age = correspondence.unodc_age
    where glotip.state_code is not null

),

reported as (

    select
        indicator_values.state_code,
        indicator_values.reporting_year,
        indicator_values.indicator_code,
        indicator_values.programme_code,
        indicator_values.value,
        indicator_values.report_id,
        indicator_values.source_file,
        indicator_values.source_row

    from indicator_values
    inner join correspondence
        on
            indicator_values.indicator_code = correspondence.indicator_code
            and indicator_values.programme_code = correspondence.programme_code
    where indicator_values.is_total

),

compared as (

    select
        coalesce(reported.state_code, unodc.state_code) as state_code,
        coalesce(reported.reporting_year, unodc.reporting_year) as reporting_year,
        coalesce(reported.indicator_code, unodc.indicator_code) as indicator_code,
        coalesce(reported.programme_code, unodc.programme_code) as programme_code,
        reported.value::numeric as report_value,
        unodc.value as unodc_value,
        unodc.value_text as unodc_value_text,
        coalesce(unodc.is_censored, false) as unodc_is_censored,
        unodc.value_lower_bound as unodc_lower_bound,
        unodc.value_upper_bound as unodc_upper_bound,
        unodc.release_date,
        unodc.source_sha256,
        unodc.source_row as unodc_source_row,
        reported.report_id,
        reported.source_file,
        reported.source_row as report_source_row

    from reported
    full outer join unodc
        on
            reported.state_code = unodc.state_code
            and reported.reporting_year = unodc.reporting_year
            and reported.indicator_code = unodc.indicator_code

),

classified as (

    select
        compared.*,
        case
            when compared.report_value is not null and not compared.unodc_is_censored
                then compared.report_value - compared.unodc_value
        end as difference,
        case
            when compared.report_value is null then 'only_at_unodc'
            when compared.unodc_value_text is null then 'only_in_report'
            when
                compared.unodc_is_censored
                and compared.report_value between compared.unodc_lower_bound and compared.unodc_upper_bound
                then 'censored_consistent'
            when compared.unodc_is_censored then 'censored_inconsistent'
            when compared.report_value = compared.unodc_value then 'equal'
            else 'differs'
        end as status

    from compared
    where compared.report_value is not null or compared.unodc_value_text is not null

),

final as (

    select classified.*
    from classified
    inner join participation
        on
            classified.state_code = participation.state_code
            and classified.programme_code = participation.programme_code
            and classified.reporting_year between participation.valid_from_year and participation.valid_to_year

)

select * from final
