"""The raw and audit schemas: ``schema.init()`` creates them, is a no-op when current, is safe
to run concurrently, upgrades a warehouse made by the former first-use DDL, and refuses a
migration file changed after it was applied.

Each test gets an empty database of its own on the session's embedded server.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from programme_monitoring.warehouse import schema

# The DDL the intake ran on first use before the migrations (ensure_raw_tables: DDL and
# AUDIT_DDL; ensure_urs_tables: URS_DDL), copied verbatim as the fixture of a warehouse
# created by that code.
OLD_DDL = """
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
    stored_path      text
);
-- Columns added after the first release, added in place on an existing warehouse (only
-- when missing: ALTER TABLE would wait for every running load).
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
create schema if not exists raw;
create schema if not exists audit;

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
"""

TABLES = {
    "audit.file_ledger",
    "audit.finding_reviews",
    "audit.findings",
    "audit.import_changes",
    "audit.import_conflicts",
    "audit.import_summary",
    "audit.intake_locks",
    "audit.query_letter_items",
    "audit.query_letters",
    "audit.period_locks",
    "audit.report_approvals",
    "audit.schema_migrations",
    "audit.sender_reminders",
    "audit.unodc_release_ledger",
    "audit.urs_extract_ledger",
    "audit.validation_findings",
    "raw.indicator_values",
    "raw.measure_status",
    "raw.report_headers",
    "raw.unodc_glotip_values",
    "raw.urs_events",
}
FILES = [
    "0001_raw_and_audit.sql",
    "0002_urs.sql",
    "0003_report_key_per_statement.sql",
    "0005_intake_locks.sql",
    "0006_urs_pseudonym_scheme.sql",
    "0007_unodc_glotip.sql",
    "0008_finding_reviews.sql",
    "0009_sender_letters.sql",
    "0010_approvals_and_period_locks.sql",
    "0011_reports_by_period.sql",
    "0012_raw_value_rules.sql",
    "0013_raw_rows_by_report.sql",
    "0014_report_key_one_pass.sql",
]
SHIPPED = schema.MIGRATIONS_DIR


@contextmanager
def new_database(server_url: str) -> Iterator[str]:
    """URL of a new, empty database on the server of ``server_url``; dropped afterwards."""
    name = f"schema_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'drop database "{name}" with (force)')


@pytest.fixture
def empty_database(warehouse_url):
    with new_database(warehouse_url) as url:
        yield url


def shape(url: str) -> dict[str, list[tuple]]:
    """Everything that defines raw and audit: columns, constraints, indexes (not their order)."""
    queries = {
        "tables": """
            select n.nspname || '.' || c.relname from pg_class as c
            join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname in ('raw', 'audit') and c.relkind in ('r', 'p', 'v')
        """,
        "columns": """
            select table_schema, table_name, column_name, data_type, is_nullable, column_default
            from information_schema.columns where table_schema in ('raw', 'audit')
        """,
        "constraints": """
            select n.nspname, c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
            from pg_constraint as c join pg_namespace as n on n.oid = c.connamespace
            where n.nspname in ('raw', 'audit')
        """,
        "indexes": """
            select schemaname, indexname, indexdef from pg_indexes where schemaname in ('raw', 'audit')
        """,
    }
    with psycopg.connect(url) as conn:
        return {name: sorted(conn.execute(query).fetchall()) for name, query in queries.items()}


def recorded(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select version, name, checksum from audit.schema_migrations order by 1"
        ).fetchall()


def expected_records() -> list[tuple]:
    return [(m.version, m.name, m.checksum) for m in schema.migrations()]


def test_init_on_an_empty_database_creates_every_table_and_records_each_file(empty_database):
    assert [m.name for m in schema.migrations()] == FILES
    assert schema.init(empty_database) == FILES
    assert {row[0] for row in shape(empty_database)["tables"]} == TABLES
    assert recorded(empty_database) == expected_records()
    with psycopg.connect(empty_database) as conn:  # the ledger's status rule is in force
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "insert into audit.file_ledger (file_sha256, file_name, file_bytes, status) "
                "values ('x', 'x.csv', 1, 'lost')"
            )


def test_a_second_init_is_a_no_op(empty_database):
    schema.init(empty_database)
    before = shape(empty_database)
    with psycopg.connect(empty_database) as conn:
        applied_at = conn.execute("select version, applied_at from audit.schema_migrations").fetchall()
    assert schema.init(empty_database) == []
    assert shape(empty_database) == before
    with psycopg.connect(empty_database) as conn:
        assert (
            conn.execute("select version, applied_at from audit.schema_migrations").fetchall() == applied_at
        )


def test_concurrent_inits_end_in_one_schema(empty_database):
    runs = 6
    start = threading.Barrier(runs)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(schema.init(empty_database))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(name for applied in results for name in applied) == FILES  # each file applied once
    assert recorded(empty_database) == expected_records()
    assert {row[0] for row in shape(empty_database)["tables"]} == TABLES


def test_a_warehouse_made_by_the_former_first_use_ddl_upgrades_cleanly(empty_database, warehouse_url):
    with psycopg.connect(empty_database) as conn:
        conn.execute(OLD_DDL)
        conn.execute(
            "insert into audit.file_ledger (file_sha256, file_name, file_bytes, status, sender) "
            "values ('abc', 'KZ_THB_2014_v1.csv', 10, 'loaded', 'kz-mvd')"
        )
    assert schema.init(empty_database) == FILES
    assert recorded(empty_database) == expected_records()
    with psycopg.connect(empty_database) as conn:  # the rows stay
        assert conn.execute("select file_sha256, sender from audit.file_ledger").fetchall() == [
            ("abc", "kz-mvd")
        ]
    with new_database(warehouse_url) as fresh:  # the same shape as a warehouse made by init alone
        schema.init(fresh)
        assert shape(empty_database) == shape(fresh)


def test_a_changed_applied_migration_is_refused_and_a_new_file_is_applied(
    empty_database, tmp_path, monkeypatch
):
    copy = tmp_path / "schema"
    shutil.copytree(schema.MIGRATIONS_DIR, copy)
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", copy)
    schema.init(empty_database)
    before = shape(empty_database)

    with (copy / "0001_raw_and_audit.sql").open("a") as f:
        f.write("\ncreate table raw.sneaked_in (id integer);\n")
    with pytest.raises(
        schema.SchemaError, match=r"0001_raw_and_audit\.sql.*must never change.*new numbered file"
    ):
        schema.init(empty_database)
    assert shape(empty_database) == before

    shutil.copy(SHIPPED / "0001_raw_and_audit.sql", copy)
    (copy / "9999_test_column.sql").write_text("alter table raw.urs_events add column test_note text;\n")
    assert schema.init(empty_database) == ["9999_test_column.sql"]
    assert ("raw", "urs_events", "test_note", "text", "YES", None) in shape(empty_database)["columns"]


# -- what the DDL holds, so that no dbt data test repeats it (models/staging/_sources.yml) --

HEADER = {
    "report_id": "'r1'",
    "source_file": "'KZ_THB_2014.csv'",
    "file_format": "'csv'",
    "state_code": "'KZ'",
    "authority": "'MVD'",
    "programme_code": "'THB'",
    "reporting_year": "2014",
    "submission_date": "'2015-02-01'",
    "report_version": "1",
}
VALUE = {
    "report_id": "'r1'",
    "source_file": "'KZ_THB_2014.csv'",
    "source_sheet": "'Indicators'",
    "source_row": "2",
    "indicator_code": "'THB01'",
    "disaggregation": "'total'",
    "value": "7",
    "is_reported": "true",
}
MEASURE = {
    "report_id": "'r1'",
    "source_file": "'KZ_THB_2014.csv'",
    "source_sheet": "'Measures'",
    "source_row": "2",
    "measure_code": "'1.1.1'",
    "status": "'implemented'",
}
CHANGE = {
    "file_sha256": "'r2'",
    "superseded_sha256": "'r1'",
    "indicator_code": "'THB01'",
    "disaggregation": "'total'",
    "change": "'updated'",
}
LEDGER = {"file_sha256": "'r3'", "file_name": "'x.csv'", "file_bytes": "1", "status": "'loaded'"}


def _insert(table: str, row: dict[str, str], **changed: str) -> str:
    row = {**row, **changed}
    return f"insert into {table} ({', '.join(row)}) values ({', '.join(row.values())})"


def _null_cases(table: str, row: dict[str, str], columns) -> list[tuple[str, type]]:
    return [(_insert(table, row, **{column: "null"}), psycopg.errors.NotNullViolation) for column in columns]


REFUSED = [
    (_insert("raw.report_headers", HEADER), psycopg.errors.UniqueViolation),
    *_null_cases("raw.report_headers", {**HEADER, "report_id": "'r3'"}, [
        "report_id", "source_file", "state_code", "programme_code", "reporting_year",
        "submission_date", "report_version",
    ]),  # fmt: skip
    *_null_cases("raw.indicator_values", VALUE, [column for column in VALUE if column != "value"]),
    (_insert("raw.indicator_values", VALUE, value="-1"), psycopg.errors.CheckViolation),
    (_insert("raw.indicator_values", VALUE, value="null"), psycopg.errors.CheckViolation),
    *_null_cases("raw.measure_status", MEASURE, MEASURE),
    (_insert("audit.file_ledger", LEDGER, file_sha256="'r1'"), psycopg.errors.UniqueViolation),
    *_null_cases("audit.file_ledger", LEDGER, ["file_sha256", "file_name", "status"]),
    (_insert("audit.file_ledger", LEDGER, status="'lost'"), psycopg.errors.CheckViolation),
    *_null_cases("audit.import_changes", CHANGE, CHANGE),
    (_insert("audit.import_changes", CHANGE, change="'moved'"), psycopg.errors.CheckViolation),
    ("insert into audit.findings (finding_id, rule_code, state_code, programme_code, reporting_year) "
     "values ('f1', 'rule', 'KZ', 'THB', 2014)", psycopg.errors.UniqueViolation),
]  # fmt: skip


def test_the_raw_and_audit_tables_refuse_what_the_dbt_sources_no_longer_test(empty_database):
    """Keys, NOT NULL and CHECKs of the reports' tables and the ledgers hold for every writer:
    PostgreSQL refuses each violating row (a row without its report: test_report_key.py)."""
    schema.init(empty_database)
    with psycopg.connect(empty_database) as conn:
        conn.execute(_insert("audit.file_ledger", LEDGER, file_sha256="'r1'"))
        conn.execute(_insert("raw.report_headers", HEADER))
        conn.execute(
            "insert into audit.findings (finding_id, rule_code, state_code, programme_code, reporting_year) "
            "values ('f1', 'rule', 'KZ', 'THB', 2014)"
        )
        conn.execute(_insert("raw.indicator_values", VALUE))  # the rows themselves go in
        conn.execute(_insert("raw.measure_status", MEASURE))
        conn.execute(_insert("audit.import_changes", CHANGE))
        conn.execute(_insert("audit.file_ledger", LEDGER))
        conn.execute("delete from audit.file_ledger where file_sha256 = 'r3'")
        accepted = []
        for statement, error in REFUSED:
            try:
                with conn.transaction():
                    conn.execute(statement)
                accepted.append(statement)
            except error:
                pass
        assert not accepted, accepted
        # The append-only decision logs (their triggers stamp and check each insert): keys
        # and NOT NULL in the catalogue.
        keys = conn.execute(
            """select c.conrelid::regclass::text, a.attname from pg_constraint as c
               join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
               where c.contype = 'p' and c.conrelid in
                   ('audit.finding_reviews'::regclass, 'audit.report_approvals'::regclass)"""
        ).fetchall()
        assert sorted(keys) == [
            ("audit.finding_reviews", "review_id"),
            ("audit.report_approvals", "event_id"),
        ]
        not_null = conn.execute(
            """select attrelid::regclass::text || '.' || attname, attnotnull from pg_attribute
               where attrelid in ('audit.finding_reviews'::regclass, 'audit.report_approvals'::regclass)
                   and attname in ('finding_id', 'status', 'state_code', 'programme_code',
                                   'reporting_year', 'report_id', 'action')"""
        ).fetchall()
        assert len(not_null) == 7 and all(held for _, held in not_null), not_null
        (action_check,) = conn.execute(
            "select pg_get_constraintdef(oid) from pg_constraint "
            "where conrelid = 'audit.report_approvals'::regclass and contype = 'c' "
            "and pg_get_constraintdef(oid) like '%action%'"
        ).fetchone()
        assert "'approve'" in action_check and "'revoke'" in action_check
