{#
    CIS-level reporting rates per programme x year: the state rows of
    rpt_reporting_completeness added up, then divided (never an average of state rates).
#}
with

completeness as (

    select * from {{ ref('rpt_reporting_completeness') }}

),

summed as (

    select
        programme_code,
        reporting_year,
        sum(reports_expected) as reports_expected,
        sum(reports_received) as reports_received,
        sum(reports_on_time) as reports_on_time,
        count(*) filter (where is_received and not is_expected) as reports_not_expected

    from completeness
    group by programme_code, reporting_year

),

final as (

    select
        programme_code::text as programme_code,
        reporting_year::integer as reporting_year,
        reports_expected::integer as reports_expected,
        reports_received::integer as reports_received,
        reports_on_time::integer as reports_on_time,
        reports_not_expected::integer as reports_not_expected,
        (reports_received::numeric / nullif(reports_expected, 0))::numeric(7, 4) as completeness_rate,
        (reports_on_time::numeric / nullif(reports_expected, 0))::numeric(7, 4) as timeliness_rate

    from summed

)

select * from final
