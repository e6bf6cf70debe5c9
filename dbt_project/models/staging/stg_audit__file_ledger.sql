with

source as (

    select * from {{ source('audit', 'file_ledger') }}

),

renamed as (

    select
        file_sha256,
        file_name,
        file_format,
        file_bytes,
        received_at,
        status as ledger_status,
        upper(state_code) as state_code,
        upper(programme_code) as programme_code,
        reporting_year,
        report_version,
        indicator_rows,
        measure_rows,
        reason as rejection_reason,
        stored_path,
        released_at

    from source

)

select * from renamed
