with

source as (

    select * from {{ source('audit', 'unodc_release_ledger') }}

),

renamed as (

    select
        source_sha256,
        source_file,
        release_date::date as release_date,
        status,
        data_rows::integer as data_rows,
        superseded_by,
        received_at

    from source

)

select * from renamed
