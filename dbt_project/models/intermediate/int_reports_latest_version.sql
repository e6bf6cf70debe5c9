{#
    One report per state x programme x year: the version that counts.
      live (default)       the newest accepted version (as of var('as_of'), see
                           int_reports_accepted; order: macro newest_version_order);
      var('approved_only') the version an approver approved (int_report_approvals_current),
                           even when a newer one is loaded; a report with no approval in force
                           has no row, so none of its figures count (the Council report's
                           "approved versions only" mode, built into *_approved).
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
            order by {{ newest_version_order() }}
        ) as version_rank,
        count(*) over (
            partition by state_code, programme_code, reporting_year
        ) as versions_received

    from accepted

),
{%- if var('approved_only', false) %}

approved as (

    select * from {{ ref('int_report_approvals_current') }}

),

counted as (

    select ranked.*
    from ranked
    inner join approved
        on ranked.report_id = approved.report_id

),
{%- else %}

counted as (

    select * from ranked
    where version_rank = 1

),
{%- endif %}

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

    from counted

)

select * from final
