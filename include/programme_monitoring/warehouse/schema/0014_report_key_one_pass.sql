-- The report key of migration 0003 reads a statement's rows once, not twice.
--
-- raw.check_rows_have_report() counted the distinct report_ids of the transition table in one
-- pass, then looked the headers up with "report_id in (select report_id from new_rows)", a
-- second pass over every row (a million for a large annex). Now the distinct ids are
-- gathered once, by a hash aggregate, and the headers are locked and counted from that list.
-- The guarantees and the error are unchanged (see 0003).
create or replace function raw.check_rows_have_report() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
    ids text[];
    found bigint;
    missing text;
begin
    select array_agg(report_id) into ids from (select distinct report_id from new_rows) as distinct_ids;
    if ids is null then
        return null;
    end if;
    select count(*) into found from (
        select 1 from raw.report_headers as h
        where h.report_id = any(ids)
        for key share of h
    ) as locked;
    if found < cardinality(ids) then
        select i into missing from unnest(ids) as i
        where not exists (select 1 from raw.report_headers as h where h.report_id = i)
        limit 1;
        raise exception 'insert or update on table "%" violates its key to raw.report_headers', tg_table_name
            using errcode = 'foreign_key_violation',
                  detail = format('Key (report_id)=(%s) is not present in table "report_headers".', missing),
                  schema = tg_table_schema, table = tg_table_name;
    end if;
    return null;
end
$$;

revoke all on function raw.check_rows_have_report() from public;
