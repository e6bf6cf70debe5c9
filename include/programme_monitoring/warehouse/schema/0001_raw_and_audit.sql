-- The intake's tables: raw (what was loaded, one row per source row) and audit (the file
-- ledger, import summaries, conflicts, changes and validation findings).
-- Idempotent (`if not exists` throughout): a warehouse created before migrations were
-- recorded (by the intake's former ensure_raw_tables) already has all of this and only
-- gets this file recorded in audit.schema_migrations.

create schema if not exists raw;
create schema if not exists audit;

-- One row per file the intake has seen: received (being processed, or its load was
-- interrupted), rejected, loaded, or superseded (loaded, then replaced by a higher version
-- of the same state x programme x year; its raw rows stay).
create table if not exists audit.file_ledger (
    file_sha256      text primary key,
    file_name        text not null,
    file_format      text,
    file_bytes       bigint not null,
    received_at      timestamptz not null default now(),
    status           text not null,
    state_code       text,
    programme_code   text,
    reporting_year   integer,
    report_version   integer,
    indicator_rows   integer,
    measure_rows     integer,
    reason           text,
    stored_path      text,
    sender           text not null default 'unknown',
    decided_at       timestamptz,
    supersedes       text,
    superseded_by    text,
    constraint file_ledger_status_check check (status in ('received', 'rejected', 'loaded', 'superseded'))
);
-- A ledger of the first release (before versions and senders) gains those columns.
do $$
begin
    if not exists (
        select 1 from information_schema.columns
        where table_schema = 'audit' and table_name = 'file_ledger' and column_name = 'superseded_by'
    ) then
        alter table audit.file_ledger add column if not exists sender text not null default 'unknown';
        alter table audit.file_ledger add column if not exists decided_at timestamptz;
        alter table audit.file_ledger add column if not exists supersedes text;
        alter table audit.file_ledger add column if not exists superseded_by text;
        alter table audit.file_ledger drop constraint if exists file_ledger_status_check;
        alter table audit.file_ledger add constraint file_ledger_status_check
            check (status in ('received', 'rejected', 'loaded', 'superseded'));
    end if;
end
$$;

-- One row per accepted report; report_id is the SHA-256 of the file's bytes.
create table if not exists raw.report_headers (
    report_id        text primary key references audit.file_ledger (file_sha256),
    source_file      text not null,
    file_format      text not null,
    state_code       text not null,
    authority        text not null,
    programme_code   text not null,
    reporting_year   integer not null,
    submission_date  date not null,
    report_version   integer not null,
    loaded_at        timestamptz not null default now()
);

create table if not exists raw.indicator_values (
    report_id        text not null references raw.report_headers (report_id),
    source_file      text not null,
    source_sheet     text not null,
    source_row       integer not null,
    indicator_code   text not null,
    disaggregation   text not null,
    value            bigint,
    is_reported      boolean not null,
    comment          text
);

create table if not exists raw.measure_status (
    report_id        text not null references raw.report_headers (report_id),
    source_file      text not null,
    source_sheet     text not null,
    source_row       integer not null,
    measure_code     text not null,
    status           text not null,
    narrative        text
);

-- One import summary per file decided (DHIS2-style): values imported (new), updated
-- (changed against the superseded version), unchanged, removed, ignored (not loaded).
create table if not exists audit.import_summary (
    file_sha256      text primary key,
    file_name        text not null,
    sender           text not null,
    status           text not null,
    state_code       text,
    programme_code   text,
    reporting_year   integer,
    report_version   integer,
    supersedes       text,
    imported         integer not null,
    updated          integer not null,
    unchanged        integer not null,
    removed          integer not null,
    ignored          integer not null,
    conflicts        integer not null,
    warnings         integer not null,
    summary_en       text not null,
    summary_ru       text not null,
    created_at       timestamptz not null default now()
);

-- Every problem that kept values of a file out (a refused file lists them all).
create table if not exists audit.import_conflicts (
    file_sha256      text not null,
    source_sheet     text,
    source_row       integer,
    column_name      text,
    reason_en        text not null,
    reason_ru        text not null,
    value            text
);
create index if not exists import_conflicts_file on audit.import_conflicts (file_sha256);

-- A correction, cell by cell against the version it superseded.
create table if not exists audit.import_changes (
    file_sha256      text not null,
    superseded_sha256 text not null,
    indicator_code   text not null,
    disaggregation   text not null,
    change           text not null check (change in ('updated', 'added', 'removed')),
    old_value        bigint,
    new_value        bigint,
    old_reported     boolean,
    new_reported     boolean
);
create index if not exists import_changes_file on audit.import_changes (file_sha256);

-- Warnings found in loaded files: the review list.
create table if not exists audit.validation_findings (
    file_sha256      text not null,
    suite            text not null,
    severity         text not null,
    rule             text not null,
    source_sheet     text,
    source_row       integer,
    values_involved  jsonb,
    reason_en        text not null,
    reason_ru        text not null,
    found_at         timestamptz not null default now(),
    reviewed_at      timestamptz
);
create index if not exists validation_findings_file on audit.validation_findings (file_sha256);
