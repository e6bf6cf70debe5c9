{#
    What each correction changed, for analysts: one row per value a corrected report version
    updated, added or removed against the version it superseded (the intake's cell-by-cell
    comparison, audit.import_changes), with the state, programme, year, both versions and
    both files. As of var('as_of'): only corrections loaded by then.
#}
with

changes as (

    select * from {{ ref('stg_audit__import_changes') }}

),

accepted as (

    select * from {{ ref('int_reports_accepted') }}

),

latest as (

    select * from {{ ref('int_reports_latest_version') }}

),

final as (

    select
        changes.report_id::text as report_id,
        corrected.state_code::text as state_code,
        corrected.programme_code::text as programme_code,
        corrected.reporting_year::integer as reporting_year,
        changes.indicator_code::text as indicator_code,
        changes.disaggregation::text as disaggregation,
        changes.change_type::text as change_type,
        changes.old_value::bigint as old_value,
        changes.new_value::bigint as new_value,
        (changes.new_value - changes.old_value)::bigint as value_change,
        coalesce(changes.old_is_reported, false)::boolean as old_is_reported,
        coalesce(changes.new_is_reported, false)::boolean as new_is_reported,
        superseded.report_version::integer as old_report_version,
        corrected.report_version::integer as new_report_version,
        changes.superseded_report_id::text as old_report_id,
        superseded.source_file::text as old_source_file,
        corrected.source_file::text as new_source_file,
        corrected.in_force_from::timestamptz as revised_at,
        (latest.report_id is not null)::boolean as is_in_force

    from changes
    inner join accepted as corrected
        on changes.report_id = corrected.report_id
    left join accepted as superseded
        on changes.superseded_report_id = superseded.report_id
    left join latest
        on changes.report_id = latest.report_id

)

select * from final
