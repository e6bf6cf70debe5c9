{#
    The competent authorities that sent accepted reports (as of var('as_of')): one row per
    state x authority named in a report header. A state reports through several
    authorities; facts roll up to the state.
#}
with

accepted_reports as (

    select * from {{ ref('int_reports_accepted') }}

),

final as (

    select
        (state_code || ':' || authority)::text as authority_key,
        state_code::text as state_code,
        authority::text as authority_name,
        string_agg(
            distinct programme_code, '|'
            order by programme_code
        )::text as programme_codes,
        min(reporting_year)::integer as first_reporting_year,
        max(reporting_year)::integer as last_reporting_year,
        count(*)::integer as reports_accepted

    from accepted_reports
    group by state_code, authority

)

select * from final
