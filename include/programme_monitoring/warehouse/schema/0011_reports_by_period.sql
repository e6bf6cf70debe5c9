-- The reports whose rows a table keyed by period holds (state x programme x year first in
-- an index, one report per period: int_indicator_values_accepted, marts.fct_indicator_values),
-- found by one index probe per period instead of a pass over every row (a "loose index
-- scan"). Publishing by report (programme_monitoring.warehouse.publish) compares what the
-- published fact table holds with what it is built from: at ten million values a pass over
-- each would cost seconds per new report. The caller's rights apply (SECURITY INVOKER): the
-- table's own grants and row-level security decide what it sees.
create or replace function audit.reports_by_period(relation regclass)
returns table (state_code text, programme_code text, reporting_year integer, report_id text)
language plpgsql stable set search_path = pg_catalog, pg_temp as $$
begin
    return query execute format($query$
        with recursive found as (
            (select held.state_code, held.programme_code, held.reporting_year, held.report_id
             from %1$s as held
             order by held.state_code, held.programme_code, held.reporting_year
             limit 1)
            union all
            select following.*
            from found
            cross join lateral (
                select held.state_code, held.programme_code, held.reporting_year, held.report_id
                from %1$s as held
                where (held.state_code, held.programme_code, held.reporting_year)
                    > (found.state_code, found.programme_code, found.reporting_year)
                order by held.state_code, held.programme_code, held.reporting_year
                limit 1
            ) as following
        )
        select found.state_code::text, found.programme_code::text, found.reporting_year::integer,
               found.report_id::text
        from found$query$, relation);
end
$$;
revoke execute on function audit.reports_by_period(regclass) from public;
