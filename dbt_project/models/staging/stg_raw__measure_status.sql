with

source as (

    select * from {{ source('raw', 'measure_status') }}

),

renamed as (

    select
        report_id,
        source_file,
        source_sheet,
        source_row::integer as source_row,
        measure_code,
        lower(status) as status,
        narrative

    from source

)

select * from renamed
