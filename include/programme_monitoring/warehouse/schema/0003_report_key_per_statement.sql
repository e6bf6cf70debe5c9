-- No value or measure without its report, checked once per statement instead of once per row.
--
-- The foreign keys from raw.indicator_values and raw.measure_status to raw.report_headers
-- probed the header's index for every row: three quarters of a bare COPY of a
-- million-row report was PostgreSQL checking the same header a million times. They are
-- replaced by statement-level triggers over the transition tables, which check each
-- distinct report_id of a statement once, with the same guarantees as the keys:
--   * an INSERT, COPY or UPDATE that leaves a row whose report_id has no header is refused
--     (SQLSTATE 23503, foreign_key_violation), whoever runs it;
--   * the headers a statement's rows point to are locked FOR KEY SHARE (as the key's check
--     did) until the transaction ends: a concurrent DELETE of such a header waits, then is
--     refused;
--   * DELETE, TRUNCATE or a change of report_id of a header that still has rows is refused.
-- A trigger is only disabled by the tables' owner (ALTER TABLE ... DISABLE TRIGGER) or a
-- superuser (session_replication_role), exactly as a foreign key's own triggers.

-- 1. The per-row keys go (their names vary with how the table was made: find them).
do $$
declare
    key record;
begin
    for key in
        select c.conrelid::regclass as tbl, c.conname
        from pg_constraint as c
        where c.contype = 'f'
          and c.conrelid in ('raw.indicator_values'::regclass, 'raw.measure_status'::regclass)
          and c.confrelid = 'raw.report_headers'::regclass
    loop
        execute format('alter table %s drop constraint %I', key.tbl, key.conname);
    end loop;
end
$$;

-- 2. Rows of a statement: every distinct report_id must have its header (locked).
create or replace function raw.check_rows_have_report() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
    wanted bigint;
    found bigint;
    missing text;
begin
    select count(*) into wanted from (select distinct report_id from new_rows) as ids;
    if wanted = 0 then
        return null;
    end if;
    select count(*) into found from (
        select 1 from raw.report_headers as h
        where h.report_id in (select report_id from new_rows)
        for key share of h
    ) as locked;
    if found < wanted then
        select n.report_id into missing from new_rows as n
        where not exists (select 1 from raw.report_headers as h where h.report_id = n.report_id)
        limit 1;
        raise exception 'insert or update on table "%" violates its key to raw.report_headers', tg_table_name
            using errcode = 'foreign_key_violation',
                  detail = format('Key (report_id)=(%s) is not present in table "report_headers".', missing),
                  schema = tg_table_schema, table = tg_table_name;
    end if;
    return null;
end
$$;

-- 3. Headers a statement removes (DELETE, or UPDATE of report_id) must have no rows left.
create or replace function raw.check_report_has_no_rows() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
    removed text[];
    referencing text;
begin
    if tg_op = 'UPDATE' then
        select array_agg(report_id) into removed
        from (select report_id from old_rows except select report_id from new_rows) as gone;
    else
        select array_agg(distinct report_id) into removed from old_rows;
    end if;
    if removed is null then
        return null;
    end if;
    select r.report_id into referencing from (
        (select v.report_id from raw.indicator_values as v where v.report_id = any(removed) limit 1)
        union all
        (select m.report_id from raw.measure_status as m where m.report_id = any(removed) limit 1)
    ) as r limit 1;
    if referencing is not null then
        raise exception 'update or delete on table "report_headers" violates the key of its rows'
            using errcode = 'foreign_key_violation',
                  detail = format('Key (report_id)=(%s) is still referenced from raw.indicator_values '
                                  'or raw.measure_status.', referencing),
                  schema = 'raw', table = 'report_headers';
    end if;
    return null;
end
$$;

create or replace function raw.check_truncated_reports() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
    if exists (select 1 from raw.indicator_values) or exists (select 1 from raw.measure_status) then
        raise exception 'cannot truncate raw.report_headers while values or measures refer to it'
            using errcode = 'foreign_key_violation',
                  hint = 'Truncate raw.indicator_values and raw.measure_status in the same statement.';
    end if;
    return null;
end
$$;

revoke all on function raw.check_rows_have_report() from public;
revoke all on function raw.check_report_has_no_rows() from public;
revoke all on function raw.check_truncated_reports() from public;

drop trigger if exists indicator_values_report_inserted on raw.indicator_values;
create trigger indicator_values_report_inserted
after insert on raw.indicator_values
referencing new table as new_rows
for each statement execute function raw.check_rows_have_report();

drop trigger if exists indicator_values_report_updated on raw.indicator_values;
create trigger indicator_values_report_updated
after update on raw.indicator_values
referencing new table as new_rows
for each statement execute function raw.check_rows_have_report();

drop trigger if exists measure_status_report_inserted on raw.measure_status;
create trigger measure_status_report_inserted
after insert on raw.measure_status
referencing new table as new_rows
for each statement execute function raw.check_rows_have_report();

drop trigger if exists measure_status_report_updated on raw.measure_status;
create trigger measure_status_report_updated
after update on raw.measure_status
referencing new table as new_rows
for each statement execute function raw.check_rows_have_report();

drop trigger if exists report_headers_deleted on raw.report_headers;
create trigger report_headers_deleted
after delete on raw.report_headers
referencing old table as old_rows
for each statement execute function raw.check_report_has_no_rows();

drop trigger if exists report_headers_key_updated on raw.report_headers;
create trigger report_headers_key_updated
after update on raw.report_headers
referencing old table as old_rows new table as new_rows
for each statement execute function raw.check_report_has_no_rows();

drop trigger if exists report_headers_truncated on raw.report_headers;
create trigger report_headers_truncated
after truncate on raw.report_headers
for each statement execute function raw.check_truncated_reports();
