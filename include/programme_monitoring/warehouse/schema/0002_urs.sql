-- The URS statistics feed (programme_monitoring.urs): one row per URS event, already
-- pseudonymised at intake (the extract's passport numbers, names and dates of birth never
-- reach the database, see docs/urs_extract_format.md), and the ledger of extracts.
-- Idempotent (`if not exists`): a warehouse whose first URS intake created these tables
-- before migrations were recorded keeps them as they are.

create table if not exists audit.urs_extract_ledger (
    extract_id       text primary key,
    source_file      text not null,
    file_bytes       bigint not null,
    status           text not null check (status in ('loaded', 'rejected')),
    event_rows       integer,
    pseudonym_key_id text,
    reason           text,
    received_at      timestamptz not null default now()
);

create table if not exists raw.urs_events (
    -- No foreign key to the ledger (a per-row trigger would triple the COPY time); dbt tests the relation.
    extract_id            text not null,
    source_file           text not null,
    event_type            text not null check (event_type in ('entry', 'exit', 'work_permit', 'offence')),
    person_pseudonym      text not null,
    citizenship           text not null,
    purpose_of_visit      text,
    host_state            text not null,
    border_crossing_point text,
    event_date            date not null
);
