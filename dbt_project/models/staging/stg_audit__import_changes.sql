with

source as (

    select * from {{ source('audit', 'import_changes') }}

),

renamed as (

    select
        file_sha256 as report_id,
        superseded_sha256 as superseded_report_id,
        upper(indicator_code) as indicator_code,
        disaggregation,
        change as change_type,
        old_value,
        new_value,
        old_reported as old_is_reported,
        new_reported as new_is_reported

    from source

)

select * from renamed
