with

source as (

    select * from {{ source('raw', 'report_headers') }}

),

renamed as (

    select
        report_id,
        source_file,
        file_format,
        upper(state_code) as state_code,
        authority,
        upper(programme_code) as programme_code,
        reporting_year::integer as reporting_year,
        submission_date::date as submission_date,
        report_version::integer as report_version,
        loaded_at

    from source

)

select * from renamed
