-- Findings with a life: a register of every validation finding ever published, and the
-- append-only history of what was decided about each (DHIS2's validation follow-up).
--
-- audit.findings: one row per finding_id (macro finding_id: rule, state, programme, year,
-- indicator, breakdown) the marts have ever held, kept after the finding leaves the marts.
-- The transform fills it when it publishes the marts (warehouse/findings_register.py).
--
-- audit.finding_reviews: every decision, never updated or deleted (a trigger refuses it,
-- for every role, the owner included). A decision is checked when it is written: the
-- status and the step from the finding's current status (its latest decision, `open`
-- before any) must be in the reference seeds finding_statuses and
-- finding_status_transitions (loaded by dbt into `reference`), and the statuses that say
-- why need a note. audit.review_finding() is how reviewers write (pm_reviewer may EXECUTE
-- it and nothing else may write here); it records the login role as decided_by.

create table if not exists audit.findings (
    finding_id           text primary key,
    rule_code            text not null,
    severity             text,
    state_code           text not null,
    programme_code       text not null,
    reporting_year       integer not null,
    indicator_code       text,
    disaggregation       text,
    message_en           text,
    message_ru           text,
    first_seen_at        timestamptz not null default now(),
    last_seen_at         timestamptz not null default now(),
    first_report_version integer,
    last_report_version  integer,
    last_report_id       text,
    present              boolean not null default true
);
create index if not exists findings_state_year on audit.findings (state_code, reporting_year);

create table if not exists audit.finding_reviews (
    review_id        bigint generated always as identity primary key,
    finding_id       text not null references audit.findings (finding_id),
    status           text not null,
    previous_status  text not null,
    decided_by       text not null default current_user,
    decided_at       timestamptz not null default clock_timestamp(),
    note             text,
    origin           text not null default 'reviewer',
    sender           text,
    source_file      text,
    constraint finding_reviews_origin_check check (origin in ('reviewer', 'sender', 'automatic'))
);
create index if not exists finding_reviews_finding on audit.finding_reviews (finding_id, review_id);

-- The status a finding has now: its latest decision, `open` before any.
create or replace function audit.finding_status(p_finding_id text) returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(
        (select r.status from audit.finding_reviews as r
         where r.finding_id = p_finding_id order by r.review_id desc limit 1),
        'open')
$$;

-- Every decision written, whoever writes it, is checked here.
create or replace function audit.check_finding_review() returns trigger
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    current_status text;
    needs_note boolean;
    label_from text;
    label_to text;
begin
    if to_regclass('reference.finding_status_transitions') is null
        or to_regclass('reference.finding_statuses') is null then
        raise exception using
            errcode = 'object_not_in_prerequisite_state',
            message = 'Справочник статусов замечаний не загружен: сначала постройте хранилище '
                || '(python -m programme_monitoring transform). / The finding statuses are not '
                || 'loaded: build the warehouse first (python -m programme_monitoring transform).';
    end if;
    -- One decision at a time per finding: the row lock orders concurrent reviewers.
    perform 1 from audit.findings where finding_id = new.finding_id for update;
    if not found then
        raise exception using
            errcode = 'foreign_key_violation',
            message = format('Замечание %s не найдено. / No finding %s.', new.finding_id, new.finding_id);
    end if;
    select note_required into needs_note from reference.finding_statuses where status = new.status;
    if needs_note is null then
        raise exception using
            errcode = 'check_violation',
            message = format(
                'Неизвестный статус «%s»; допустимы: %s. / Unknown status "%s"; allowed: %s.',
                new.status, (select string_agg(status, ', ' order by sort_order) from reference.finding_statuses),
                new.status, (select string_agg(status, ', ' order by sort_order) from reference.finding_statuses));
    end if;
    current_status := audit.finding_status(new.finding_id);
    if not exists (
        select 1 from reference.finding_status_transitions
        where from_status = current_status and to_status = new.status
    ) then
        select s.label_ru || ' / ' || s.label_en into label_from from reference.finding_statuses as s
        where s.status = current_status;
        select s.label_ru || ' / ' || s.label_en into label_to from reference.finding_statuses as s
        where s.status = new.status;
        raise exception using
            errcode = 'check_violation',
            message = format(
                'Недопустимый переход для замечания %s: из «%s» в «%s». / Illegal transition for finding %s: from "%s" to "%s".',
                new.finding_id, split_part(label_from, ' / ', 1), split_part(label_to, ' / ', 1),
                new.finding_id, split_part(label_from, ' / ', 2), split_part(label_to, ' / ', 2));
    end if;
    if needs_note and coalesce(btrim(new.note), '') = '' then
        raise exception using
            errcode = 'not_null_violation',
            message = format(
                'Для статуса «%s» нужно примечание (--note). / The status "%s" needs a note (--note).',
                (select label_ru from reference.finding_statuses where status = new.status),
                (select label_en from reference.finding_statuses where status = new.status));
    end if;
    new.previous_status := current_status;
    return new;
end
$$;

create or replace function audit.refuse_finding_review_change() returns trigger
language plpgsql
as $$
begin
    raise exception using
        errcode = 'insufficient_privilege',
        message = 'История решений по замечаниям только дополняется: записи не изменяются и не удаляются. '
            || '/ The history of finding reviews is append-only: decisions are never changed or deleted.';
end
$$;

drop trigger if exists finding_reviews_check on audit.finding_reviews;
create trigger finding_reviews_check before insert on audit.finding_reviews
for each row execute function audit.check_finding_review();
drop trigger if exists finding_reviews_append_only on audit.finding_reviews;
create trigger finding_reviews_append_only before update or delete on audit.finding_reviews
for each row execute function audit.refuse_finding_review_change();
drop trigger if exists finding_reviews_no_truncate on audit.finding_reviews;
create trigger finding_reviews_no_truncate before truncate on audit.finding_reviews
for each statement execute function audit.refuse_finding_review_change();

-- How a reviewer (or a sender's explanation, recorded by the intake) writes a decision.
-- Runs with its owner's rights, so the caller needs EXECUTE only (warehouse/access.py
-- grants it to pm_reviewer and pm_loader); decided_by is the login role (session_user).
create or replace function audit.review_finding(
    p_finding_id text,
    p_status text,
    p_note text default null,
    p_origin text default 'reviewer',
    p_sender text default null,
    p_source_file text default null
) returns bigint
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    new_id bigint;
begin
    if p_origin not in ('reviewer', 'sender') then
        raise exception using
            errcode = 'check_violation',
            message = 'Решение записывает рецензент или отправитель. / A decision comes from a reviewer or a sender.';
    end if;
    insert into audit.finding_reviews (finding_id, status, previous_status, decided_by, note, origin, sender, source_file)
    values (p_finding_id, p_status, '', session_user, nullif(btrim(p_note), ''), p_origin, p_sender, p_source_file)
    returning review_id into new_id;
    return new_id;
end
$$;
revoke all on function audit.review_finding(text, text, text, text, text, text) from public;
revoke all on function audit.check_finding_review() from public;
