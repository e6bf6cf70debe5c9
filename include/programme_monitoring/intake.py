"""Intake: landing area -> parse -> Great Expectations -> raw tables, or quarantine.

Every file the intake sees gets one row in ``audit.file_ledger`` keyed by the SHA-256 of
its bytes. An accepted file is loaded in one transaction (ledger row, header, values,
measures: all or nothing) and archived under its hash; a refused file is moved to the
quarantine under its hash with a ``.reason.txt`` naming the rows to fix. The same bytes
delivered again are a no-op.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg

from . import quality
from .records import ParsedReport, ReportFormatError
from .settings import paths
from .template import parse_report
from .warehouse import connect, ensure_raw_tables

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".xlsx", ".csv", ".json"}


@dataclass
class FileOutcome:
    file_name: str
    sha256: str
    status: str  # "loaded", "rejected" or "duplicate"
    reasons: list[str] = field(default_factory=list)
    indicator_rows: int = 0
    measure_rows: int = 0
    stored_path: str = ""


def ingest_landing(landing: Path | None = None, today: dt.date | None = None) -> list[FileOutcome]:
    """Take every file waiting in the landing area; return one outcome per file."""
    landing = landing or paths().landing
    landing.mkdir(parents=True, exist_ok=True)
    outcomes = ingest_files(sorted(p for p in landing.iterdir() if not p.name.startswith(".")), today)
    loaded = sum(o.status == "loaded" for o in outcomes)
    rejected = sum(o.status == "rejected" for o in outcomes)
    log.info(
        "intake: %d loaded, %d rejected, %d already seen", loaded, rejected, len(outcomes) - loaded - rejected
    )
    return outcomes


def ingest_files(files: list[Path], today: dt.date | None = None) -> list[FileOutcome]:
    """Parse, validate (in one Great Expectations pass) and load or refuse each file."""
    ensure_raw_tables()
    today = today or dt.date.today()
    outcomes: dict[Path, FileOutcome] = {}
    candidates: dict[Path, tuple[str, ParsedReport | None, list[str]]] = {}
    for path in files:
        if path.is_symlink() or not path.is_file():
            # Never follow a link out of the landing area; leave it for an operator.
            outcomes[path] = FileOutcome(
                path.name, "", "rejected", ["not a regular file (links and folders are not read)"]
            )
            continue
        digest = _sha256(path)
        if _already_seen(digest):
            log.info(
                "%s: same bytes as a file already in the ledger (%s), nothing to do", path.name, digest[:12]
            )
            path.unlink()
            outcomes[path] = FileOutcome(path.name, digest, "duplicate")
            continue
        report, reasons = _parse(path)
        candidates[path] = (digest, report, reasons)

    parsed = [report for _, report, _ in candidates.values() if report is not None]
    findings = quality.validate_reports(parsed, current_year=today.year) if parsed else {}
    for path, (digest, report, reasons) in candidates.items():
        if report is not None:
            reasons = reasons + [f.describe() for f in findings[str(report.source_file)]]
        outcomes[path] = _reject(path, digest, reasons, report) if reasons else _load(path, digest, report)
    return [outcomes[path] for path in files]


def _parse(path: Path) -> tuple[ParsedReport | None, list[str]]:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return None, [
            f"unsupported file type {path.suffix!r}: send .xlsx, .csv or .json (report template v1)"
        ]
    try:
        return parse_report(path), []
    except ReportFormatError as error:
        return None, [str(error)]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _already_seen(digest: str) -> bool:
    with connect() as conn:
        return (
            conn.execute("select 1 from audit.file_ledger where file_sha256 = %s", (digest,)).fetchone()
            is not None
        )


def _store(path: Path, digest: str, folder: Path) -> Path:
    """Copy a file under its content hash, never its sender's name."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}{path.suffix.lower()}"
    shutil.copyfile(path, target)
    return target


def _reject(path: Path, digest: str, reasons: list[str], report: ParsedReport | None) -> FileOutcome:
    stored = _store(path, digest, paths().quarantine)
    path.unlink()
    text = "\n".join(
        [
            f"File / Файл: {path.name}",
            f"SHA-256: {digest}",
            "Refused: nothing from this file was loaded. Fix the rows below and send the file again.",
            "Отклонён: данные файла не загружены. Исправьте указанные строки и направьте файл повторно.",
            "",
            *(f"- {reason}" for reason in reasons),
            "",
        ]
    )
    stored.with_name(stored.name + ".reason.txt").write_text(text, encoding="utf-8")
    header = report.header if report else None
    with connect() as conn:
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                   state_code, programme_code, reporting_year, report_version, reason, stored_path)
               values (%s, %s, %s, %s, 'rejected', %s, %s, %s, %s, %s, %s)
               on conflict (file_sha256) do nothing""",
            (
                digest,
                path.name,
                path.suffix.lower().lstrip("."),
                stored.stat().st_size,
                header and header.state_code,
                header and header.programme_code,
                header and header.reporting_year,
                header and header.version,
                "\n".join(reasons),
                str(stored),
            ),
        )
    log.warning(
        "%s refused with %d problem(s); reasons in %s", path.name, len(reasons), stored.name + ".reason.txt"
    )
    return FileOutcome(path.name, digest, "rejected", reasons, stored_path=str(stored))


INDICATOR_FIELDS = (
    "source_sheet",
    "source_row",
    "indicator_code",
    "disaggregation",
    "value",
    "is_reported",
    "comment",
)
MEASURE_FIELDS = ("source_sheet", "source_row", "measure_code", "status", "narrative")


def _load(path: Path, digest: str, report: ParsedReport) -> FileOutcome:
    h = report.header
    values, measures = report.indicator_values, report.measures
    with connect() as conn, conn.transaction():
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                   state_code, programme_code, reporting_year, report_version, indicator_rows, measure_rows)
               values (%s, %s, %s, %s, 'loaded', %s, %s, %s, %s, %s, %s)""",
            (
                digest,
                path.name,
                report.file_format,
                path.stat().st_size,
                h.state_code,
                h.programme_code,
                h.reporting_year,
                h.version,
                len(values),
                len(measures),
            ),
        )
        conn.execute(
            """insert into raw.report_headers (report_id, source_file, file_format, state_code, authority,
                   programme_code, reporting_year, submission_date, report_version)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                digest,
                path.name,
                report.file_format,
                h.state_code,
                h.authority,
                h.programme_code,
                h.reporting_year,
                h.submission_date,
                h.version,
            ),
        )
        _copy(conn, "raw.indicator_values", digest, path.name, values, INDICATOR_FIELDS)
        _copy(conn, "raw.measure_status", digest, path.name, measures, MEASURE_FIELDS)
        # Archive before commit: if the copy fails nothing is committed. The landing copy
        # goes only after the commit, so a crash in between loses nothing (the rerun finds
        # the hash in the ledger and just clears the landing file).
        stored = _store(path, digest, paths().archive)
        conn.execute(
            "update audit.file_ledger set stored_path = %s where file_sha256 = %s", (str(stored), digest)
        )
    path.unlink()
    log.info("%s loaded: %d values, %d measures", path.name, len(values), len(measures))
    return FileOutcome(
        path.name,
        digest,
        "loaded",
        indicator_rows=len(values),
        measure_rows=len(measures),
        stored_path=str(stored),
    )


def _copy(conn: psycopg.Connection, table: str, report_id: str, source_file: str, frame, fields) -> None:
    columns = ", ".join(("report_id", "source_file", *fields))
    with conn.cursor().copy(f"copy {table} ({columns}) from stdin") as copy:
        for row in frame[list(fields)].itertuples(index=False, name=None):
            copy.write_row((report_id, source_file, *(None if pd.isna(v) else v for v in row)))
