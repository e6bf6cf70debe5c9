with

source as (

    select * from {{ ref('reporting_deadlines') }}

),

renamed as (

    select
        programme_code,
        deadline_years_after,
        deadline_month,
        deadline_day,
        note as deadline_note

    from source

)

select * from renamed
