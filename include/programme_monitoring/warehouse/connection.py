"""Connections to the warehouse.

``warehouse_url()`` is the one place that decides which PostgreSQL is used: the URL in
``WAREHOUSE_URL`` if set, otherwise the embedded server (started on demand) -- but only
for the demo, the tests and a single machine: with any Airflow executor but the local one
(a Celery worker) or with ``WAREHOUSE_EMBEDDED=false`` (every container of
docker-compose.yml), a missing ``WAREHOUSE_URL`` is an error, never a private database
that nobody else sees.
Schemas keep the layers apart: ``raw`` (what intake loaded, one row per source row),
``audit`` (the file ledger, import summaries, conflicts, changes and validation
findings), ``reference`` (dbt seeds), ``staging``, ``intermediate``,
``marts`` (built by dbt). The ``raw`` and ``audit`` tables are defined by the migrations
of ``programme_monitoring.warehouse.schema``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import psycopg

from programme_monitoring.settings import paths, warehouse_url_from_env

LOCAL_EXECUTORS = ("LocalExecutor", "SequentialExecutor", "DebugExecutor")
_FALSE = ("0", "false", "no", "off", "never")


class WarehouseNotConfigured(RuntimeError):
    """No ``WAREHOUSE_URL`` where the embedded server must not be used."""


def embedded_server():
    """The embedded PostgreSQL of ``VAR_DIR`` (its wheel is a development dependency: imported here only)."""
    from programme_monitoring.warehouse.embedded import EmbeddedPostgres

    return EmbeddedPostgres(paths().embedded_pgdata)


def embedded_refusal() -> str | None:
    """Why the embedded server must not be started here, or None where it may (demo, tests)."""
    explicit = os.environ.get("WAREHOUSE_EMBEDDED", "").strip().lower()
    if explicit in _FALSE:
        return f"WAREHOUSE_EMBEDDED={explicit}"
    executor = os.environ.get("AIRFLOW__CORE__EXECUTOR", "").strip()
    if executor and not explicit and executor.rsplit(".", 1)[-1] not in LOCAL_EXECUTORS:
        return f"AIRFLOW__CORE__EXECUTOR={executor} (tasks may run on other machines)"
    return None


def warehouse_url() -> str:
    url = warehouse_url_from_env()
    if url:
        return url
    refusal = embedded_refusal()
    if refusal:
        raise WarehouseNotConfigured(
            f"WAREHOUSE_URL is not set, and with {refusal} no private embedded PostgreSQL is started: "
            "set WAREHOUSE_URL=postgresql://user:password@host:5432/warehouse (README, Deployment) / "
            f"WAREHOUSE_URL не задан, а при {refusal} встроенный PostgreSQL не запускается: "
            "задайте WAREHOUSE_URL=postgresql://пользователь:пароль@сервер:5432/warehouse"
        )
    return embedded_server().ensure_running()


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


def relation_exists(conn: psycopg.Connection, name: str) -> bool:
    """Whether ``name`` (``schema.table``) exists: a mart does not before the first transform."""
    return conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]
