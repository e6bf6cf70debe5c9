{#
    One report per state x programme x year: the latest accepted version (as of
    var('as_of'), see int_reports_accepted). A higher
    report_version wins; ties are broken by the later submission_date, then the later
    loaded_at (then report_id, only to make the choice deterministic).
#}
with

accepted as (

    select * from {{ ref('int_reports_accepted') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by state_code, programme_code, reporting_year
            order by
                report_version desc,
                submission_date desc,
                loaded_at desc,
                report_id desc
        ) as version_rank,
        count(*) over (
            partition by state_code, programme_code, reporting_year
        ) as versions_received

    from accepted

),

final as (

    select
        report_id,
        source_file,
        file_format,
        state_code,
        authority,
        programme_code,
        reporting_year,
        submission_date,
        report_version,
        loaded_at,
        versions_received

    from ranked
    where version_rank = 1

)

select * from final
