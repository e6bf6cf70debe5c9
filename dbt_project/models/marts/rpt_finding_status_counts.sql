{#
    For BI: how many findings each state, programme and year has in each review status
    (rpt_validation_findings, one finding counted once however many places in the file
    share it), with the status's labels and whether it is still open (not resolved or
    dismissed). Findings resolved by a newer version are no longer in the review list:
    their history stays in audit.findings and audit.finding_reviews.
#}
with

findings as (

    select * from {{ ref('rpt_validation_findings') }}

),

statuses as (

    select * from {{ ref('finding_statuses') }}

),

per_finding as (

    select distinct
        finding_id,
        state_code,
        programme_code,
        reporting_year,
        review_status,
        severity
    from findings

),

counted as (

    select
        state_code,
        programme_code,
        reporting_year,
        review_status,
        count(distinct finding_id) as findings,
        count(distinct finding_id) filter (where severity = 'error') as error_findings
    from per_finding
    group by state_code, programme_code, reporting_year, review_status

),

final as (

    select
        counted.state_code::text as state_code,
        counted.programme_code::text as programme_code,
        counted.reporting_year::integer as reporting_year,
        counted.review_status::text as review_status,
        statuses.label_ru::text as review_status_label_ru,
        statuses.label_en::text as review_status_label_en,
        (not statuses.is_closed)::boolean as is_open,
        counted.findings::integer as findings,
        counted.error_findings::integer as error_findings
    from counted
    inner join statuses
        on counted.review_status = statuses.status

)

select * from final
