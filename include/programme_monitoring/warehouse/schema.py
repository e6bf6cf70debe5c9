"""The one owner of the ``raw`` and ``audit`` schemas: ordered SQL migrations and ``init()``.

The tables the intake writes (and dbt reads as sources) are defined only in the files
``schema/NNNN_<name>.sql`` beside this module, applied in the order of their number by
``init()`` (``python -m programme_monitoring warehouse init``). Each applied file is
recorded in ``audit.schema_migrations`` with its version, name and SHA-256, so ``init()``
is idempotent and cheap when the database is up to date (one query, no DDL, no lock: the
intake calls it before every run, which is also how a fresh external ``WAREHOUSE_URL``
gets its tables). Pending files are applied in one transaction under an advisory lock, so
concurrent inits end in one schema. A file changed after it was applied is refused: add a
new numbered file instead. ``reference``, ``staging``, ``intermediate`` and ``marts`` are
dbt's, not this module's.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from programme_monitoring.warehouse.connection import warehouse_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("schema")
MIGRATIONS_TABLE = "audit.schema_migrations"
# The key the intake's former ensure_raw_tables() locked on: an older intake running
# during an upgrade waits for init() and the other way round.
LOCK_KEY = "programme_monitoring.ddl"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

BOOTSTRAP = f"""
create schema if not exists audit;
create table if not exists {MIGRATIONS_TABLE} (
    version     integer primary key,
    name        text not null,
    checksum    text not null,
    applied_at  timestamptz not null default now()
);
"""


class SchemaError(RuntimeError):
    """The database's recorded migrations do not match the files (a file changed after it was applied)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # the file name, e.g. 0001_raw_and_audit.sql
    sql: str
    checksum: str  # SHA-256 of the file's bytes, hex


def migrations() -> list[Migration]:
    """The migration files in version order; a misnamed file or a repeated number is an error."""
    found: dict[int, Migration] = {}
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise SchemaError(f"{path}: migration files are named NNNN_lower_case_name.sql")
        version = int(match.group(1))
        if version in found:
            raise SchemaError(f"{path.name} and {found[version].name} share version {version}")
        data = path.read_bytes()
        found[version] = Migration(version, path.name, data.decode("utf-8"), hashlib.sha256(data).hexdigest())
    return [found[v] for v in sorted(found)]


def _applied(conn: psycopg.Connection) -> dict[int, tuple[str, str]] | None:
    """{version: (name, checksum)} recorded in the database, or None before the first init."""
    if conn.execute("select to_regclass(%s)", (MIGRATIONS_TABLE,)).fetchone()[0] is None:
        return None
    rows = conn.execute(f"select version, name, checksum from {MIGRATIONS_TABLE}").fetchall()
    return {version: (name, checksum) for version, name, checksum in rows}


def _pending(files: list[Migration], applied: dict[int, tuple[str, str]]) -> list[Migration]:
    """The files not applied yet; refuses an applied file that has changed since."""
    for migration in files:
        recorded = applied.get(migration.version)
        if recorded and recorded != (migration.name, migration.checksum):
            raise SchemaError(
                f"migration {migration.version:04d} was applied to this database as {recorded[0]} "
                f"(sha256 {recorded[1]}) but the file is now {migration.name} (sha256 {migration.checksum}): "
                "an applied migration must never change; restore it and put the change in a new "
                "numbered file under programme_monitoring/warehouse/schema/"
            )
    return [m for m in files if m.version not in applied]


def init(url: str | None = None) -> list[str]:
    """Bring ``raw`` and ``audit`` up to date; return the names of the files applied now (none if current)."""
    files = migrations()
    with psycopg.connect(url or warehouse_url()) as conn:
        applied = _applied(conn)
        if applied is not None and not _pending(files, applied):
            return []
        conn.rollback()
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (LOCK_KEY,))
            conn.execute(BOOTSTRAP)
            pending = _pending(files, _applied(conn) or {})  # another init may have applied them
            for migration in pending:
                conn.execute(migration.sql)
                conn.execute(
                    f"insert into {MIGRATIONS_TABLE} (version, name, checksum) values (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
    for migration in pending:
        log.info("warehouse schema: applied %s", migration.name)
    return [m.name for m in pending]
