{#
    The values of the GLOTIP release in force (as of var('as_of')): of the releases loaded
    by then (in force or superseded since), the one with the latest release date. Every
    country; state_code for the reporting states (by ISO alpha-3), NULL for the others.
#}
with

glotip_values as (

    select * from {{ ref('stg_raw__unodc_glotip_values') }}

),

releases as (

    select * from {{ ref('stg_audit__unodc_release_ledger') }}
    where
        status in ('loaded', 'superseded')
        and {{ as_of_condition('received_at') }}

),

member_states as (

    select * from {{ ref('stg_reference__member_states') }}

),

in_force as (

    select
        source_sha256,
        release_date

    from releases
    order by release_date desc
    limit 1

),

final as (

    select
        glotip_values.*,
        member_states.state_code,
        in_force.release_date

    from glotip_values
    inner join in_force
        on glotip_values.source_sha256 = in_force.source_sha256
    left join member_states
        on glotip_values.iso3_code = member_states.iso3_code

)

select * from final
