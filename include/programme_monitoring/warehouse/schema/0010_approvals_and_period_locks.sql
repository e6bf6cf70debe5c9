-- Data approval and period locks (after DHIS2's data approval and period locking).
--
-- audit.report_approvals: an approver (a member of pm_approver) approves the version of a
-- state's report for a programme and year that is in force (report_id = SHA-256 of its
-- file), or revokes the approval. audit.period_locks: publishing an edition of the Council
-- report locks its year ('lock'); an approver opens the year again ('unlock': every version
-- held for it is put in force) or puts the versions held for one report in force
-- ('release': the year stays locked). Both tables are append-only histories: who
-- (PostgreSQL role, current_user) and when are set by the database, never by the writer;
-- UPDATE, DELETE and TRUNCATE are refused for everyone.
--
-- A report version for a locked year is stored (ledger row, raw rows) with ledger status
-- 'pending': not in force in the marts (dbt takes `loaded`/`superseded` only) until an
-- unlock or release puts it in force (status 'loaded', released_at set; the version it
-- replaces becomes 'superseded').

alter table audit.file_ledger drop constraint if exists file_ledger_status_check;
alter table audit.file_ledger add constraint file_ledger_status_check
    check (status in ('received', 'rejected', 'loaded', 'superseded', 'pending'));
-- When a held version was put in force (NULL for a version loaded straight away).
alter table audit.file_ledger add column if not exists released_at timestamptz;

create table if not exists audit.report_approvals (
    event_id         bigint generated always as identity primary key,
    state_code       text not null,
    programme_code   text not null,
    reporting_year   integer not null,
    report_id        text not null references audit.file_ledger (file_sha256),
    action           text not null check (action in ('approve', 'revoke')),
    note             text not null check (length(btrim(note)) > 0),
    decided_by       text not null default current_user,
    decided_at       timestamptz not null default now()
);
create index if not exists report_approvals_report
    on audit.report_approvals (state_code, programme_code, reporting_year, event_id);

create table if not exists audit.period_locks (
    event_id         bigint generated always as identity primary key,
    reporting_year   integer not null,
    action           text not null check (action in ('lock', 'unlock', 'release')),
    edition          text,  -- lock: the edition that locked the year (its generation time, UTC)
    state_code       text,  -- release: the report whose held versions are put in force
    programme_code   text,
    reason           text,
    decided_by       text not null default current_user,
    decided_at       timestamptz not null default now(),
    constraint period_locks_shape check (
        (action = 'lock' and edition is not null and state_code is null and programme_code is null)
        or (action = 'unlock' and state_code is null and programme_code is null
            and length(btrim(coalesce(reason, ''))) > 0)
        or (action = 'release' and state_code is not null and programme_code is not null
            and length(btrim(coalesce(reason, ''))) > 0)
    )
);
create index if not exists period_locks_year on audit.period_locks (reporting_year, event_id);

-- Append-only: nobody changes or removes history.
create or replace function audit.refuse_history_change() returns trigger
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
    raise exception 'audit.% is an append-only history: % is refused / история audit.% только пополняется: % запрещено',
        tg_table_name, tg_op, tg_table_name, tg_op
        using errcode = 'insufficient_privilege';
end
$$;

drop trigger if exists report_approvals_append_only on audit.report_approvals;
create trigger report_approvals_append_only before update or delete on audit.report_approvals
for each row execute function audit.refuse_history_change();
drop trigger if exists report_approvals_no_truncate on audit.report_approvals;
create trigger report_approvals_no_truncate before truncate on audit.report_approvals
for each statement execute function audit.refuse_history_change();
drop trigger if exists period_locks_append_only on audit.period_locks;
create trigger period_locks_append_only before update or delete on audit.period_locks
for each row execute function audit.refuse_history_change();
drop trigger if exists period_locks_no_truncate on audit.period_locks;
create trigger period_locks_no_truncate before truncate on audit.period_locks
for each statement execute function audit.refuse_history_change();

-- Is the year locked now (its last lock later than its last unlock)?
create or replace function audit.year_is_locked(year integer) returns boolean
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
    select coalesce(
        (select action = 'lock' from audit.period_locks
         where reporting_year = year and action in ('lock', 'unlock')
         order by event_id desc limit 1),
        false)
$$;

-- The versions of one report (state x programme x year) the ledger holds, for an approver
-- who may not read the ledger itself: id, version, status, when received.
create or replace function audit.report_versions(state text, programme text, year integer)
returns table (report_id text, report_version integer, status text, received_at timestamptz)
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
    select l.file_sha256, l.report_version, l.status, l.received_at
    from audit.file_ledger as l
    where l.state_code = upper(state) and l.programme_code = upper(programme) and l.reporting_year = year
      and l.status in ('loaded', 'superseded', 'pending')
    order by l.report_version
$$;

-- Who may approve: a member of pm_approver (superusers are members of every role).
create or replace function audit.require_approver() returns void
language plpgsql stable set search_path = pg_catalog, pg_temp as $$
begin
    if not exists (
        select 1 from pg_roles as r
        where r.rolname = 'pm_approver' and pg_has_role(current_user, r.oid, 'MEMBER')
    ) then
        raise exception 'role % may not approve or unlock: only members of pm_approver may / роль % не может утверждать и снимать блокировку: это могут только члены pm_approver',
            current_user, current_user
            using errcode = 'insufficient_privilege';
    end if;
end
$$;

-- Before an approval is recorded: the writer is an approver, who and when are the
-- database's, and an approval names the version in force; a revocation, an approved one.
create or replace function audit.check_approval(
    action text, state text, programme text, year integer, report text
) returns text
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
    in_force text;
    approved text;
begin
    select l.file_sha256 into in_force from audit.file_ledger as l
    where l.state_code = state and l.programme_code = programme and l.reporting_year = year
      and l.status = 'loaded';
    if action = 'approve' then
        if in_force is null then
            return 'no_report';
        elsif in_force is distinct from report then
            return 'not_in_force';
        end if;
    end if;
    select case when a.action = 'approve' then a.report_id end into approved
    from audit.report_approvals as a
    where a.state_code = state and a.programme_code = programme and a.reporting_year = year
    order by a.event_id desc limit 1;
    if action = 'approve' and approved = report then
        return 'already_approved';
    elsif action = 'revoke' and (approved is null or approved is distinct from report) then
        return 'not_approved';
    end if;
    return null;
end
$$;

create or replace function audit.stamp_approval() returns trigger
language plpgsql set search_path = pg_catalog, pg_temp as $$
declare
    refusal text;
begin
    perform audit.require_approver();
    new.decided_by := current_user;
    new.decided_at := now();
    new.state_code := upper(new.state_code);
    new.programme_code := upper(new.programme_code);
    refusal := audit.check_approval(new.action, new.state_code, new.programme_code, new.reporting_year,
                                    new.report_id);
    if refusal is not null then
        raise exception 'approval refused: %', refusal using errcode = 'check_violation', hint = refusal;
    end if;
    return new;
end
$$;

drop trigger if exists report_approvals_stamp on audit.report_approvals;
create trigger report_approvals_stamp before insert on audit.report_approvals
for each row execute function audit.stamp_approval();

-- Before a lock event is recorded: who and when are the database's; unlocking and
-- releasing are the approvers'; an unlock needs a locked year, a release a held version.
create or replace function audit.check_period_event(
    action text, year integer, state text, programme text
) returns text
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
begin
    if action = 'unlock' and not audit.year_is_locked(year) then
        return 'not_locked';
    elsif action = 'release' and not exists (
        select 1 from audit.file_ledger as l
        where l.status = 'pending' and l.reporting_year = year and l.state_code = state
          and l.programme_code = programme
    ) then
        return 'nothing_held';
    end if;
    return null;
end
$$;

create or replace function audit.stamp_period_event() returns trigger
language plpgsql set search_path = pg_catalog, pg_temp as $$
declare
    refusal text;
begin
    if new.action in ('unlock', 'release') then
        perform audit.require_approver();
    end if;
    new.decided_by := current_user;
    new.decided_at := now();
    new.state_code := upper(new.state_code);
    new.programme_code := upper(new.programme_code);
    refusal := audit.check_period_event(new.action, new.reporting_year, new.state_code, new.programme_code);
    if refusal is not null then
        raise exception 'period lock change refused: %', refusal using errcode = 'check_violation', hint = refusal;
    end if;
    return new;
end
$$;

drop trigger if exists period_locks_stamp on audit.period_locks;
create trigger period_locks_stamp before insert on audit.period_locks
for each row execute function audit.stamp_period_event();

-- After an unlock or release: the held versions go into force, in version order, each
-- superseding the one in force before it (the intake's own rows of audit.intake_locks are
-- taken first, so no load of the same report runs meanwhile).
create or replace function audit.release_held_versions() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
    held record;
    in_force text;
begin
    perform 1 from audit.intake_locks as k
    where k.reporting_year = new.reporting_year
      and (new.action = 'unlock' or (k.state_code = new.state_code and k.programme_code = new.programme_code))
    order by k.state_code, k.programme_code
    for update;
    for held in
        select l.file_sha256, l.state_code, l.programme_code from audit.file_ledger as l
        where l.status = 'pending' and l.reporting_year = new.reporting_year
          and (new.action = 'unlock' or (l.state_code = new.state_code and l.programme_code = new.programme_code))
        order by l.state_code, l.programme_code, l.report_version
    loop
        select l.file_sha256 into in_force from audit.file_ledger as l
        where l.status = 'loaded' and l.state_code = held.state_code
          and l.programme_code = held.programme_code and l.reporting_year = new.reporting_year
        for update;
        if in_force is not null then
            update audit.file_ledger set status = 'superseded', superseded_by = held.file_sha256,
                decided_at = now()
            where file_sha256 = in_force;
        end if;
        update audit.file_ledger set status = 'loaded', released_at = now(), decided_at = now()
        where file_sha256 = held.file_sha256;
    end loop;
    return null;
end
$$;

drop trigger if exists period_locks_release on audit.period_locks;
create trigger period_locks_release after insert on audit.period_locks
for each row when (new.action in ('unlock', 'release')) execute function audit.release_held_versions();

revoke all on function audit.year_is_locked(integer) from public;
revoke all on function audit.report_versions(text, text, integer) from public;
revoke all on function audit.check_approval(text, text, text, integer, text) from public;
revoke all on function audit.check_period_event(text, integer, text, text) from public;
revoke all on function audit.release_held_versions() from public;
