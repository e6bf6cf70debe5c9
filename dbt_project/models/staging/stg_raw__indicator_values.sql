with

source as (

    select * from {{ source('raw', 'indicator_values') }}

),

renamed as (

    select
        report_id,
        source_file,
        source_sheet,
        source_row::integer as source_row,
        upper(indicator_code) as indicator_code,
        disaggregation,
        -- 'total', or 'dimension=member' such as 'sex=female' or 'operation=PRV-2014-01'
        disaggregation = 'total' as is_total,
        case
            when disaggregation <> 'total' then split_part(disaggregation, '=', 1)
        end as disaggregation_dimension,
        case
            when disaggregation <> 'total'
                then substr(disaggregation, strpos(disaggregation, '=') + 1)
        end as disaggregation_member,
        -- NULL means "not reported", which is never the same as 0
        value::bigint as value,
        is_reported,
        comment

    from source

)

select * from renamed
