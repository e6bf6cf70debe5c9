-- UNODC GLOTIP releases (programme_monitoring.sources.unodc): the ledger of every release
-- file seen, and every data row of every loaded release, as published (all countries).
-- A release is identified by the SHA-256 of its file; its release date comes from the
-- sheet's second row. Exactly one release is `loaded` (in force) at a time: a later
-- release supersedes it (status `superseded`, its rows stay as history); a refused file
-- leaves only its ledger row with the reason.

create table if not exists audit.unodc_release_ledger (
    source_sha256  text primary key,
    source_file    text not null,
    file_bytes     bigint not null,
    release_date   date,
    status         text not null check (status in ('loaded', 'superseded', 'rejected')),
    data_rows      integer,
    reason_en      text,
    reason_ru      text,
    superseded_by  text,
    received_at    timestamptz not null default now()
);

-- at most one release in force
create unique index if not exists unodc_release_in_force
on audit.unodc_release_ledger ((status)) where status = 'loaded';

create table if not exists raw.unodc_glotip_values (
    source_sha256  text not null,
    source_row     integer not null,
    iso3_code      text,
    country        text,
    region         text,
    subregion      text,
    indicator      text not null,
    dimension      text not null,
    category       text,
    sex            text not null,
    age            text not null,
    year           integer not null,
    unit           text not null,
    value_text     text not null,
    source         text,
    primary key (source_sha256, source_row)
);
