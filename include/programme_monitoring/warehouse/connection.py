"""Connections to the warehouse.

``warehouse_url()`` is the one place that decides which PostgreSQL is used: the URL in
``WAREHOUSE_URL`` if set, otherwise the embedded server (started on demand).
Schemas keep the layers apart: ``raw`` (what intake loaded, one row per source row),
``audit`` (the file ledger, import summaries, conflicts, changes and validation
findings), ``reference`` (dbt seeds), ``staging``, ``intermediate``,
``marts`` (built by dbt). The ``raw`` and ``audit`` tables are defined by the migrations
of ``programme_monitoring.warehouse.schema``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import psycopg

from programme_monitoring.settings import paths, warehouse_url_from_env
from programme_monitoring.warehouse.embedded import EmbeddedPostgres


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
