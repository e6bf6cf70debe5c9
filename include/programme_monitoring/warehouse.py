"""Connections to the warehouse and the tables the intake writes.

``warehouse_url()`` is the one place that decides which PostgreSQL is used: the URL in
``WAREHOUSE_URL`` if set, otherwise the embedded server (started on demand).
Schemas keep the layers apart: ``raw`` (what intake loaded, one row per source row),
``audit`` (the file ledger), ``reference`` (dbt seeds), ``staging``, ``intermediate``,
``marts`` (built by dbt).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import psycopg

from .embedded import EmbeddedPostgres
from .settings import paths, warehouse_url_from_env


def embedded_server() -> EmbeddedPostgres:
    return EmbeddedPostgres(paths().embedded_pgdata)


def warehouse_url() -> str:
    return warehouse_url_from_env() or embedded_server().ensure_running()


def airflow_metadata_url() -> str:
    """Airflow's own database: a separate database on the same server, never the warehouse's schemas."""
    url = urlsplit(warehouse_url())
    return url._replace(scheme="postgresql+psycopg", path="/airflow").geturl()


def connection_parts(url: str | None = None) -> dict[str, str]:
    """Host, port, user, password and database of a URL, for clients that want them apart (dbt)."""
    parts = urlsplit(url or warehouse_url())
    return {
        "host": parts.hostname or "localhost",
        "port": str(parts.port or 5432),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "dbname": parts.path.lstrip("/") or "postgres",
    }


@contextmanager
def connect(autocommit: bool = False) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url(), autocommit=autocommit) as conn:
        yield conn


DDL = """
create schema if not exists raw;
create schema if not exists audit;

-- One row per file the intake has seen, accepted or not.
create table if not exists audit.file_ledger (
    file_sha256      text primary key,
    file_name        text not null,
    file_format      text,
    file_bytes       bigint not null,
    received_at      timestamptz not null default now(),
    status           text not null check (status in ('loaded', 'rejected')),
    state_code       text,
    programme_code   text,
    reporting_year   integer,
    report_version   integer,
    indicator_rows   integer,
    measure_rows     integer,
    reason           text,
    stored_path      text
);

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
"""


def ensure_raw_tables() -> None:
    with connect() as conn:
        conn.execute(DDL)
