with

measure_status as (

    select * from {{ ref('int_measure_status_latest') }}

),

final as (

    select
        state_code::text as state_code,
        programme_code::text as programme_code,
        reporting_year::integer as reporting_year,
        programme_measure_key::text as programme_measure_key,
        measure_code::text as measure_code,
        status::text as status,
        is_due::boolean as is_due,
        narrative::text as narrative,
        report_id::text as report_id,
        source_file::text as source_file,
        source_sheet::text as source_sheet,
        source_row::integer as source_row,
        report_version::integer as report_version

    from measure_status

)

select * from final
