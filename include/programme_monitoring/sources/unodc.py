"""Loading UNODC GLOTIP releases: exactly once, the latest in force, refusals recorded.

A release file is identified by the SHA-256 of its bytes (``source_sha256``); its release
date is the one in the sheet's second row. ``ingest_release``:

* a file already loaded (or loaded once and superseded since) changes nothing (``duplicate``);
* a file that fails a blocking check of ``sources.glotip`` (changed layout, new unit,
  duplicate keys, text where counts belong, formulas in data cells) is ``rejected``: its
  ledger row carries the reasons in English and Russian, and the release in force stays
  in force;
* a release not later than the one in force is ``rejected`` (a re-issue of the same date
  or an older release would silently replace newer figures);
* otherwise, in one transaction under a lock: every row (all countries) goes to
  ``raw.unodc_glotip_values`` with COPY, the ledger row is ``loaded`` and the release it
  replaces becomes ``superseded`` (its rows stay: the history of what UNODC published).

Storage area for external sources: ``var/external/unodc/`` (``UNODC_LANDING_DIR``);
files stay there, the ledger makes a second run a no-op.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from programme_monitoring.reference import load_reference
from programme_monitoring.report_format.file_safety import file_sha256
from programme_monitoring.settings import paths
from programme_monitoring.sources.glotip import RAW_COLUMNS, Reason, Release, ReleaseRefused, read_release
from programme_monitoring.warehouse import bulk_copy
from programme_monitoring.warehouse.connection import connect
from programme_monitoring.warehouse.schema import init as init_schema

log = logging.getLogger(__name__)

LOCK = "programme_monitoring.unodc"


def unodc_landing() -> Path:
    """The storage area for UNODC releases (apart from the member states' landing area)."""
    return Path(os.environ.get("UNODC_LANDING_DIR", paths().var / "external" / "unodc"))


@dataclass
class ReleaseOutcome:
    source_file: str
    source_sha256: str
    status: str  # loaded | rejected | duplicate
    release_date: str | None = None
    data_rows: int = 0
    supersedes: str | None = None  # sha256 of the release it replaced
    reasons_en: list[str] = field(default_factory=list)
    reasons_ru: list[str] = field(default_factory=list)
    seconds: float = 0.0


def member_iso3() -> set[str]:
    """ISO alpha-3 codes of the reporting states (the countries the warehouse compares)."""
    return set(load_reference().states.iso3_code)


def ingest_unodc_landing() -> list[ReleaseOutcome]:
    """Every .xlsx in the storage area, oldest release file name first."""
    folder = unodc_landing()
    files = sorted(p for p in folder.glob("*.xlsx") if p.is_file()) if folder.exists() else []
    return [ingest_release(p) for p in files]


def _seen(conn: psycopg.Connection, sha: str) -> str | None:
    row = conn.execute(
        "select status from audit.unodc_release_ledger where source_sha256 = %s", (sha,)
    ).fetchone()
    return row[0] if row else None


def ingest_release(path: Path) -> ReleaseOutcome:
    """Check and load one GLOTIP release file; never raises for a bad file (it is refused)."""
    started = time.perf_counter()
    path = Path(path)
    sha = file_sha256(path)
    outcome = ReleaseOutcome(source_file=path.name, source_sha256=sha, status="loaded")
    init_schema()
    with connect() as conn:
        if _seen(conn, sha) in ("loaded", "superseded"):
            outcome.status = "duplicate"
            log.info("UNODC release %s already loaded (%s)", path.name, sha[:12])
            return outcome
        try:
            release = read_release(path, member_iso3())
            outcome.release_date = release.release_date.isoformat()
            with conn.transaction():
                conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (LOCK,))
                if _seen(conn, sha) in ("loaded", "superseded"):  # loaded meanwhile by another run
                    outcome.status = "duplicate"
                else:
                    _load(conn, path, sha, release, outcome)
        except ReleaseRefused as refused:
            _refuse(conn, path, sha, outcome, refused.reasons)
    outcome.seconds = time.perf_counter() - started
    if outcome.status == "loaded":
        log.info("UNODC release %s of %s: %d rows loaded", path.name, outcome.release_date, outcome.data_rows)
    return outcome


def _load(conn: psycopg.Connection, path: Path, sha: str, release: Release, outcome: ReleaseOutcome) -> None:
    in_force = conn.execute(
        "select source_sha256, release_date from audit.unodc_release_ledger where status = 'loaded'"
    ).fetchone()
    if in_force and in_force[1] >= release.release_date:
        raise ReleaseRefused(
            [
                Reason(
                    f"the release of {release.release_date:%d/%m/%Y} is not later than the release in force "
                    f"({in_force[1]:%d/%m/%Y}): only a later release replaces it",
                    f"выпуск от {release.release_date:%d.%m.%Y} не новее действующего "
                    f"({in_force[1]:%d.%m.%Y}): заменить его может только более поздний выпуск",
                )
            ]
        )
    conn.execute("delete from audit.unodc_release_ledger where source_sha256 = %s", (sha,))
    if in_force:
        conn.execute(
            "update audit.unodc_release_ledger set status = 'superseded', superseded_by = %s "
            "where source_sha256 = %s",
            (sha, in_force[0]),
        )
        outcome.supersedes = in_force[0]
    conn.execute(
        """insert into audit.unodc_release_ledger
           (source_sha256, source_file, file_bytes, release_date, status, data_rows)
           values (%s, %s, %s, %s, 'loaded', %s)""",
        (sha, path.name, path.stat().st_size, release.release_date, release.rows),
    )
    frame = release.values
    payload = bulk_copy.copy_text([sha, frame["source_row"], *(frame[c] for c in RAW_COLUMNS)], release.rows)
    with bulk_copy.copy_into(
        conn, "raw.unodc_glotip_values", ("source_sha256", "source_row", *RAW_COLUMNS)
    ) as copy:
        copy.write(payload)
    outcome.data_rows = release.rows


def _refuse(
    conn: psycopg.Connection, path: Path, sha: str, outcome: ReleaseOutcome, reasons: list[Reason]
) -> None:
    """The ledger row of a refused file (its only trace), in a transaction of its own."""
    outcome.status = "rejected"
    outcome.reasons_en = [r.en for r in reasons]
    outcome.reasons_ru = [r.ru for r in reasons]
    with conn.transaction():
        conn.execute(
            """insert into audit.unodc_release_ledger
               (source_sha256, source_file, file_bytes, release_date, status, reason_en, reason_ru)
               values (%s, %s, %s, %s, 'rejected', %s, %s)
               on conflict (source_sha256) do update set status = 'rejected',
                   reason_en = excluded.reason_en, reason_ru = excluded.reason_ru""",
            (
                sha,
                path.name,
                path.stat().st_size,
                outcome.release_date,
                "\n".join(outcome.reasons_en),
                "\n".join(outcome.reasons_ru),
            ),
        )
    log.warning("UNODC release %s refused: %s", path.name, "; ".join(outcome.reasons_en))


def release_in_force() -> tuple[str, str] | None:
    """(sha256, release date) of the release in force, or None."""
    init_schema()
    with connect() as conn:
        row = conn.execute(
            "select source_sha256, release_date::text from audit.unodc_release_ledger where status = 'loaded'"
        ).fetchone()
    return (row[0], row[1]) if row else None
