{#
    For BI: how many findings each state, programme and year has in each review status
    (rpt_validation_findings, one finding counted once however many places in the file
    share it), with the status's labels and whether it is still open (not resolved or
    dismissed). A finding a newer version resolved is no longer in the review list: it is
    counted here from the register (audit.findings) with its latest decision (resolved or
    dismissed), so a year's findings can be told as opened, explained, corrected. A finding
    gone without a decision (a rule changed) is not counted.
#}
with

findings as (

    select * from {{ ref('rpt_validation_findings') }}

),

register as (

    select * from {{ source('audit', 'findings') }}
    where {{ as_of_condition('first_seen_at') }}

),

reviews as (

    select * from {{ source('audit', 'finding_reviews') }}
    where {{ as_of_condition('decided_at') }}

),

latest_review as (

    select distinct on (finding_id)
        finding_id,
        status
    from reviews
    order by finding_id asc, review_id desc

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

closed_and_gone as (

    select
        register.finding_id,
        register.state_code,
        register.programme_code,
        register.reporting_year,
        latest_review.status as review_status,
        register.severity
    from register
    inner join latest_review
        on register.finding_id = latest_review.finding_id
    where
        latest_review.status in ('resolved', 'dismissed')
        and register.finding_id not in (select per_finding.finding_id from per_finding)

),

all_findings as (

    select * from per_finding
    union all
    select * from closed_and_gone

),

counted as (

    select
        state_code,
        programme_code,
        reporting_year,
        review_status,
        count(distinct finding_id) as findings,
        count(distinct finding_id) filter (where severity = 'error') as error_findings
    from all_findings
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
        statuses.sort_order::integer as review_status_order,
        (not statuses.is_closed)::boolean as is_open,
        counted.findings::integer as findings,
        counted.error_findings::integer as error_findings
    from counted
    inner join statuses
        on counted.review_status = statuses.status

)

select * from final
