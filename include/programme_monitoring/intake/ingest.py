"""Intake: landing area -> parse -> Great Expectations -> raw tables, or quarantine.

Every file the intake sees gets one row in ``audit.file_ledger`` keyed by the SHA-256 of
its bytes, with its sender (the landing sub-folder it came in, or ``unknown``) and a
status:

- ``received``: seen, being processed (a row left in this status means the load was
  interrupted; the next run takes the file again from the landing area);
- ``rejected``: refused; nothing loaded; moved to the quarantine under its hash with a
  ``.reason.txt`` naming the rows to fix;
- ``loaded``: accepted, loaded and archived under its hash;
- ``superseded``: was loaded, then replaced by a higher version of the same state x
  programme x year (its raw rows stay queryable; marts use the ``loaded`` one only).

A file is loaded and marked loaded in ONE transaction that holds a transaction-level
advisory lock on its (state, programme, year), so two deliveries at once cannot both
win: the second waits, then sees the first. A version not higher than the one already
loaded is refused, never overwritten. The same bytes again, under any name, are a
logged no-op. Blocking Great Expectations suites refuse a file; warning suites load it
and put the finding on the review list (``audit.validation_findings``).

Every decided file gets an import summary (see ``import_summary``), in Russian and
English, beside the archived or quarantined file (``<hash>.summary.json``,
``<hash>.summary.txt``) and in ``audit.import_summary`` / ``audit.import_conflicts`` /
``audit.import_changes``. ``dry_run=True`` validates and returns the summaries without
loading, recording or moving anything.

Test hook: if the environment variable ``PROGRAMME_MONITORING_PAUSE_AFTER_COPY`` holds a
number of seconds, each load sleeps that long after its COPY and before its commit,
printing ``intake: paused after COPY`` to stderr first (the fault tests kill the loader
or the server there); ``until:<path>`` instead waits until that file exists (at most
ten minutes).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg

from programme_monitoring.intake.summary import Change, Conflict, ImportSummary, ReviewFinding
from programme_monitoring.quality import validation as quality
from programme_monitoring.report_format.file_safety import file_sha256
from programme_monitoring.report_format.records import ParsedReport, ReportFormatError
from programme_monitoring.report_format.template import parse_report
from programme_monitoring.settings import paths
from programme_monitoring.warehouse.bulk_copy import copy_into, copy_text
from programme_monitoring.warehouse.connection import connect, ensure_raw_tables

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".xlsx", ".csv", ".json"}
PAUSE_ENV = "PROGRAMME_MONITORING_PAUSE_AFTER_COPY"
DONE_STATUSES = ("loaded", "rejected", "superseded")
COPY_CHUNK_ROWS = 100_000


class IntakeLoadError(RuntimeError):
    """The warehouse failed during a load (disk full, server gone): nothing of the file was kept."""


@dataclass
class FileOutcome:
    file_name: str
    sha256: str
    status: str  # "loaded", "rejected" or "duplicate" (in a dry run: what would happen)
    reasons: list[str] = field(default_factory=list)
    indicator_rows: int = 0
    measure_rows: int = 0
    stored_path: str = ""
    sender: str = "unknown"
    dry_run: bool = False
    supersedes: str | None = None
    warnings: list[str] = field(default_factory=list)
    summary: ImportSummary | None = field(default=None, repr=False)


def ingest_landing(
    landing: Path | None = None, today: dt.date | None = None, dry_run: bool = False
) -> list[FileOutcome]:
    """Take every file waiting in the landing area (and its sender sub-folders)."""
    landing = landing or paths().landing
    landing.mkdir(parents=True, exist_ok=True)
    files = []
    for entry in sorted(p for p in landing.iterdir() if not p.name.startswith(".")):
        if entry.is_dir() and not entry.is_symlink():
            files += sorted(p for p in entry.iterdir() if not p.name.startswith("."))
        else:
            files.append(entry)
    outcomes = ingest_files(files, today, dry_run=dry_run, landing=landing)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("loaded", "rejected", "duplicate")}
    log.info(
        "intake%s: %d loaded, %d rejected, %d already seen",
        " (dry run)" if dry_run else "",
        counts["loaded"],
        counts["rejected"],
        counts["duplicate"],
    )
    return outcomes


def sender_of(path: Path, landing: Path | None = None) -> str:
    """The landing sub-folder a file came in (one per sender), or "unknown"."""
    landing = (landing or paths().landing).resolve()
    parent = path.parent.resolve()
    return parent.name if parent != landing and parent.parent == landing else "unknown"


def ingest_files(
    files: list[Path],
    today: dt.date | None = None,
    *,
    sender: str | None = None,
    dry_run: bool = False,
    landing: Path | None = None,
) -> list[FileOutcome]:
    """Parse, validate (one Great Expectations pass) and load or refuse each file.

    ``sender`` names who sent the files (default: the landing sub-folder, or "unknown").
    ``dry_run`` validates and summarises without loading, recording or moving anything.
    """
    ensure_raw_tables()
    today = today or dt.date.today()
    outcomes: dict[Path, FileOutcome] = {}
    candidates: dict[Path, tuple[str, str, ParsedReport | None, list[Conflict]]] = {}
    for path in files:
        who = sender or sender_of(path, landing)
        if path.is_symlink() or not path.is_file():
            # Never follow a link out of the landing area; leave it for an operator.
            outcomes[path] = FileOutcome(
                path.name,
                "",
                "rejected",
                ["not a regular file (links and folders are not read)"],
                sender=who,
                dry_run=dry_run,
            )
            continue
        digest = file_sha256(path)
        if _ledger_status(digest) in DONE_STATUSES:
            outcomes[path] = _duplicate(path, digest, who, dry_run)
            continue
        if not dry_run:
            _mark_received(path, digest, who)
        report, conflicts = _parse(path)
        candidates[path] = (digest, who, report, conflicts)

    parsed = [report for _, _, report, _ in candidates.values() if report is not None]
    blocking = quality.validate_reports(parsed, current_year=today.year) if parsed else {}
    for _, _, report, conflicts in candidates.values():
        if report is not None:
            conflicts += [_conflict(f) for f in blocking[str(report.source_file)]]
    passed = [r for _, _, r, c in candidates.values() if r is not None and not c]
    warnings = quality.validate_warnings(passed, _previous_totals(passed)) if passed else {}

    # Reports of the same state x programme x year load in version order within a batch,
    # as if delivered one after the other.
    def order(item):
        _, (_, _, report, conflicts) = item
        return (0, 0) if conflicts or report is None else (1, report.header.version)

    for path, (digest, who, report, conflicts) in sorted(candidates.items(), key=order):
        if conflicts:
            outcomes[path] = _reject(path, digest, who, conflicts, report, dry_run)
        else:
            found = warnings.get(str(report.source_file), [])
            outcomes[path] = _load(path, digest, who, report, found, dry_run)
    return [outcomes[path] for path in files]


# -- reading -----------------------------------------------------------------


def _parse(path: Path) -> tuple[ParsedReport | None, list[Conflict]]:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return None, [
            Conflict(
                f"unsupported file type {path.suffix!r}: send .xlsx, .csv or .json (report template v1)",
                f"неподдерживаемый тип файла {path.suffix!r}: направьте .xlsx, .csv или .json "
                "(шаблон отчёта, версия 1)",
            )
        ]
    try:
        return parse_report(path), []
    except ReportFormatError as error:
        return None, [
            Conflict(
                str(error),
                f"файл не читается как шаблон отчёта (версия 1): {error.reason}",
                source_sheet=error.sheet,
                source_row=error.row,
                column=error.column,
            )
        ]


def _conflict(finding: quality.Finding) -> Conflict:
    return Conflict(
        finding.reason_en,
        finding.reason_ru,
        source_sheet=finding.source_sheet,
        source_row=finding.source_row,
        column=finding.column,
        value=finding.value,
    )


def _describe(conflict: Conflict) -> str:
    where = []
    if conflict.source_sheet:
        where.append(f"sheet {conflict.source_sheet!r}")
    if conflict.source_row is not None:
        where.append(f"row {conflict.source_row}")
    if conflict.column:
        where.append(f"column {conflict.column!r}")
    found = f" (found {conflict.value!r})" if conflict.value is not None else ""
    head = f"{', '.join(where)}: " if where else ""
    return f"{head}{conflict.reason_en}{found} / {conflict.reason_ru}"



def _ledger_status(digest: str, conn: psycopg.Connection | None = None) -> str | None:
    sql = "select status from audit.file_ledger where file_sha256 = %s"
    if conn is not None:
        row = conn.execute(sql + " for update", (digest,)).fetchone()
    else:
        with connect() as own:
            row = own.execute(sql, (digest,)).fetchone()
    return row[0] if row else None


def _previous_totals(reports: list[ParsedReport]) -> dict[str, tuple[int, dict[str, int]]]:
    """Per report: the totals of the state's latest accepted report for the year before."""
    batch = {}
    for r in reports:  # reports in this batch count as accepted (they passed the blocking checks)
        key = (r.header.state_code, r.header.programme_code, r.header.reporting_year)
        if key not in batch or r.header.version > batch[key].header.version:
            batch[key] = r
    previous = {}
    with connect() as conn:
        for r in reports:
            h = r.header
            year = h.reporting_year - 1
            rows = conn.execute(
                """select v.indicator_code, v.value from audit.file_ledger l
                   join raw.indicator_values v on v.report_id = l.file_sha256
                   where l.status = 'loaded' and l.state_code = %s and l.programme_code = %s
                     and l.reporting_year = %s and v.disaggregation = 'total' and v.value is not null""",
                (h.state_code, h.programme_code, year),
            ).fetchall()
            totals = {code: int(value) for code, value in rows}
            if not totals and (h.state_code, h.programme_code, year) in batch:
                values = batch[(h.state_code, h.programme_code, year)].indicator_values
                values = values[(values["disaggregation"] == "total") & values["value"].notna()]
                totals = {
                    code: int(value) for code, value in zip(values.indicator_code, values.value, strict=True)
                }
            if totals:
                previous[str(r.source_file)] = (year, totals)
    return previous


# -- deciding ----------------------------------------------------------------


def _duplicate(path: Path, digest: str, sender: str, dry_run: bool) -> FileOutcome:
    log.info(
        "%s: exists (same bytes as a file already in the ledger, %s): nothing to do", path.name, digest[:12]
    )
    if not dry_run:
        path.unlink()
    summary = ImportSummary(path.name, digest, sender, "duplicate", dry_run=dry_run)
    return FileOutcome(path.name, digest, "duplicate", sender=sender, dry_run=dry_run, summary=summary)


def _mark_received(path: Path, digest: str, sender: str) -> None:
    with connect() as conn:
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status, sender)
               values (%s, %s, %s, %s, 'received', %s)
               on conflict (file_sha256) do update
                   set file_name = excluded.file_name, sender = excluded.sender, received_at = now()
                   where audit.file_ledger.status = 'received'""",
            (digest, path.name, path.suffix.lower().lstrip("."), path.stat().st_size, sender),
        )


def _store(path: Path, digest: str, folder: Path) -> Path:
    """Copy a file under its content hash, never its sender's name."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}{path.suffix.lower()}"
    shutil.copyfile(path, target)
    return target


def _summary(path: Path, digest: str, sender: str, status: str, report: ParsedReport | None, dry_run: bool):
    h = report.header if report else None
    return ImportSummary(
        path.name,
        digest,
        sender,
        status,
        dry_run=dry_run,
        state_code=h and h.state_code,
        programme_code=h and h.programme_code,
        reporting_year=h and h.reporting_year,
        report_version=h and h.version,
        values_read=len(report.indicator_values) if report else 0,
        measures_read=len(report.measures) if report else 0,
    )


def _reject(
    path: Path,
    digest: str,
    sender: str,
    conflicts: list[Conflict],
    report: ParsedReport | None,
    dry_run: bool,
) -> FileOutcome:
    reasons = [_describe(c) for c in conflicts]
    summary = _summary(path, digest, sender, "rejected", report, dry_run)
    summary.ignored, summary.conflicts = summary.values_read, conflicts
    if dry_run:
        return FileOutcome(
            path.name, digest, "rejected", reasons, sender=sender, dry_run=True, summary=summary
        )
    stored = _store(path, digest, paths().quarantine)
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
    summary.write_beside(stored)
    header = report.header if report else None
    with connect() as conn, conn.transaction():
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                   sender, state_code, programme_code, reporting_year, report_version, reason, stored_path,
                   decided_at)
               values (%s, %s, %s, %s, 'rejected', %s, %s, %s, %s, %s, %s, %s, now())
               on conflict (file_sha256) do update set
                   status = 'rejected', file_name = excluded.file_name, sender = excluded.sender,
                   state_code = excluded.state_code, programme_code = excluded.programme_code,
                   reporting_year = excluded.reporting_year, report_version = excluded.report_version,
                   reason = excluded.reason, stored_path = excluded.stored_path, decided_at = now()
               where audit.file_ledger.status = 'received'""",
            (
                digest,
                path.name,
                path.suffix.lower().lstrip("."),
                stored.stat().st_size,
                sender,
                header and header.state_code,
                header and header.programme_code,
                header and header.reporting_year,
                header and header.version,
                "\n".join(reasons),
                str(stored),
            ),
        )
        _record_summary(conn, summary)
    path.unlink()
    log.warning(
        "%s refused with %d problem(s); reasons in %s", path.name, len(reasons), stored.name + ".reason.txt"
    )
    return FileOutcome(
        path.name, digest, "rejected", reasons, stored_path=str(stored), sender=sender, summary=summary
    )


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


class _Refused(Exception):
    def __init__(self, conflict: Conflict) -> None:
        super().__init__(conflict.reason_en)
        self.conflict = conflict


class _Duplicate(Exception):
    pass


def _load(
    path: Path,
    digest: str,
    sender: str,
    report: ParsedReport,
    findings: list[quality.Finding],
    dry_run: bool,
) -> FileOutcome:
    h = report.header
    values, measures = report.indicator_values, report.measures
    summary = _summary(path, digest, sender, "loaded", report, dry_run)
    summary.warnings = [
        ReviewFinding(
            f.suite, f.rule, f.reason_en, f.reason_ru, f.source_sheet, f.source_row, dict(f.involved)
        )
        for f in findings
    ]
    try:
        with connect() as conn, conn.transaction(force_rollback=dry_run):
            # One winner per state x programme x year: a second delivery waits here.
            conn.execute(
                "select pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (f"file_ledger:{h.state_code}:{h.programme_code}:{h.reporting_year}",),
            )
            if _ledger_status(digest, conn) in DONE_STATUSES:
                raise _Duplicate
            current = conn.execute(
                """select file_sha256, report_version, file_name from audit.file_ledger
                   where status = 'loaded' and state_code = %s and programme_code = %s and reporting_year = %s
                   for update""",
                (h.state_code, h.programme_code, h.reporting_year),
            ).fetchone()
            if current and current[1] >= h.version:
                raise _Refused(_not_newer(h, current))
            _compare(conn, summary, current, values)
            if dry_run:
                return FileOutcome(
                    path.name,
                    digest,
                    "loaded",
                    sender=sender,
                    dry_run=True,
                    supersedes=summary.supersedes,
                    indicator_rows=len(values),
                    measure_rows=len(measures),
                    warnings=[_warning_text(w) for w in summary.warnings],
                    summary=summary,
                )
            conn.execute(
                """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                       sender, state_code, programme_code, reporting_year, report_version, indicator_rows,
                       measure_rows, supersedes, decided_at)
                   values (%s, %s, %s, %s, 'loaded', %s, %s, %s, %s, %s, %s, %s, %s, now())
                   on conflict (file_sha256) do update set
                       status = 'loaded', file_name = excluded.file_name, file_format = excluded.file_format,
                       sender = excluded.sender, state_code = excluded.state_code,
                       programme_code = excluded.programme_code, reporting_year = excluded.reporting_year,
                       report_version = excluded.report_version, indicator_rows = excluded.indicator_rows,
                       measure_rows = excluded.measure_rows, supersedes = excluded.supersedes,
                       decided_at = now()""",
                (
                    digest,
                    path.name,
                    report.file_format,
                    path.stat().st_size,
                    sender,
                    h.state_code,
                    h.programme_code,
                    h.reporting_year,
                    h.version,
                    len(values),
                    len(measures),
                    summary.supersedes,
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
            _pause_for_tests(path)
            if current:
                conn.execute(
                    """update audit.file_ledger
                       set status = 'superseded', superseded_by = %s, decided_at = now()
                       where file_sha256 = %s""",
                    (digest, current[0]),
                )
            _record_summary(conn, summary)
            # Archive before commit: if anything fails nothing is committed. The landing copy
            # goes only after the commit, so a crash in between loses nothing (the rerun finds
            # the hash in the ledger and just clears the landing file).
            stored = _store(path, digest, paths().archive)
            summary.write_beside(stored)
            conn.execute(
                "update audit.file_ledger set stored_path = %s where file_sha256 = %s", (str(stored), digest)
            )
    except _Duplicate:
        return _duplicate(path, digest, sender, dry_run)
    except _Refused as refused:
        return _reject(path, digest, sender, [refused.conflict], report, dry_run)
    except psycopg.Error as error:
        raise IntakeLoadError(
            f"{path.name}: the warehouse failed while loading it ({type(error).__name__}: "
            f"{str(error).strip()}). Nothing from this file was kept; it stays in the landing area "
            "and the next run loads it."
        ) from error
    path.unlink()
    log.info(
        "%s loaded: %d values, %d measures%s%s",
        path.name,
        len(values),
        len(measures),
        f", supersedes version {summary.superseded_version}" if summary.supersedes else "",
        f", {len(findings)} warning(s) for review" if findings else "",
    )
    return FileOutcome(
        path.name,
        digest,
        "loaded",
        indicator_rows=len(values),
        measure_rows=len(measures),
        stored_path=str(stored),
        sender=sender,
        supersedes=summary.supersedes,
        warnings=[_warning_text(w) for w in summary.warnings],
        summary=summary,
    )


def _not_newer(h, current) -> Conflict:
    what = "the same version" if current[1] == h.version else "a newer version"
    what_ru = "та же версия" if current[1] == h.version else "более новая версия"
    return Conflict(
        f"{what} ({current[1]}) of the {h.programme_code} {h.reporting_year} report of {h.state_code} is "
        f"already loaded (file {current[2]!r}, SHA-256 {current[0][:12]}...); this file declares version "
        f"{h.version}. Nothing was overwritten: to correct the report send it with version {current[1] + 1}",
        f"{what_ru} ({current[1]}) отчёта {h.state_code} по программе {h.programme_code} за "
        f"{h.reporting_year} год уже загружена (файл {current[2]!r}); в этом файле указана версия "
        f"{h.version}. Данные не перезаписаны: исправленный отчёт направьте с версией {current[1] + 1}",
        column="version",
        value=h.version,
    )


def _warning_text(w: ReviewFinding) -> str:
    where = ", ".join(p for p in (w.source_sheet and f"sheet {w.source_sheet!r}",) if p)
    if w.source_row is not None:
        where += f"{', ' if where else ''}row {w.source_row}"
    return f"{where or w.suite}: {w.reason_en} {w.involved} / {w.reason_ru}"


def _compare(conn: psycopg.Connection, summary: ImportSummary, current, values: pd.DataFrame) -> None:
    """Fill the counts and, for a correction, the cell-by-cell changes against the loaded version."""
    if not current:
        summary.imported = len(values)  # rows are unique per indicator and disaggregation (checked)
        return
    new = {
        (code, dis): (None if pd.isna(value) else int(value), bool(reported))
        for code, dis, value, reported in zip(
            values.indicator_code, values.disaggregation, values.value, values.is_reported, strict=True
        )
    }
    summary.supersedes, summary.superseded_version = current[0], current[1]
    old = {
        (code, dis): (value, reported)
        for code, dis, value, reported in conn.execute(
            """select indicator_code, disaggregation, value, is_reported from raw.indicator_values
               where report_id = %s order by source_row""",
            (current[0],),
        )
    }
    for key, (value, reported) in new.items():
        if key not in old:
            summary.imported += 1
            summary.changes.append(Change(*key, "added", None, value, None, reported))
        elif old[key] != (value, reported):
            summary.updated += 1
            summary.changes.append(Change(*key, "updated", *(old[key][0], value), old[key][1], reported))
        else:
            summary.unchanged += 1
    for key, (value, reported) in old.items():
        if key not in new:
            summary.removed += 1
            summary.changes.append(Change(*key, "removed", value, None, reported, None))


def _record_summary(conn: psycopg.Connection, s: ImportSummary) -> None:
    conn.execute("delete from audit.import_summary where file_sha256 = %s", (s.sha256,))
    for table in ("import_conflicts", "import_changes", "validation_findings"):
        conn.execute(f"delete from audit.{table} where file_sha256 = %s", (s.sha256,))
    conn.execute(
        """insert into audit.import_summary (file_sha256, file_name, sender, status, state_code,
               programme_code, reporting_year, report_version, supersedes, imported, updated, unchanged,
               removed, ignored, conflicts, warnings, summary_en, summary_ru)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            s.sha256,
            s.file_name,
            s.sender,
            s.status,
            s.state_code,
            s.programme_code,
            s.reporting_year,
            s.report_version,
            s.supersedes,
            s.imported,
            s.updated,
            s.unchanged,
            s.removed,
            s.ignored,
            len(s.conflicts),
            len(s.warnings),
            s.text_en(),
            s.text_ru(),
        ),
    )
    with conn.cursor() as cur:
        cur.executemany(
            """insert into audit.import_conflicts (file_sha256, source_sheet, source_row, column_name,
                   reason_en, reason_ru, value) values (%s, %s, %s, %s, %s, %s, %s)""",
            [
                (
                    s.sha256,
                    c.source_sheet,
                    c.source_row,
                    c.column,
                    c.reason_en,
                    c.reason_ru,
                    None if c.value is None else str(c.value),
                )
                for c in s.conflicts
            ],
        )
        cur.executemany(
            """insert into audit.validation_findings (file_sha256, suite, severity, rule, source_sheet,
                   source_row, values_involved, reason_en, reason_ru)
               values (%s, %s, 'warning', %s, %s, %s, %s, %s, %s)""",
            [
                (s.sha256, w.suite, w.rule, w.source_sheet, w.source_row,
                 json.dumps(w.involved, ensure_ascii=False, default=str), w.reason_en, w.reason_ru)
                for w in s.warnings
            ],
        )  # fmt: skip
    _copy_changes(conn, s)


CHANGE_FIELDS = ("indicator_code", "disaggregation", "change", "old_value", "new_value", "old_reported",
                 "new_reported")  # fmt: skip


def _copy_changes(conn: psycopg.Connection, s: ImportSummary) -> None:
    """The cell-by-cell changes of a correction (a million for a corrected large annex) by COPY."""
    if not s.changes:
        return
    with copy_into(
        conn, "audit.import_changes", ["file_sha256", "superseded_sha256", *CHANGE_FIELDS]
    ) as copy:
        for start in range(0, len(s.changes), COPY_CHUNK_ROWS):
            part = s.changes[start : start + COPY_CHUNK_ROWS]
            columns = [[getattr(c, name) for c in part] for name in CHANGE_FIELDS]
            copy.write(copy_text([s.sha256, s.supersedes, *columns], len(part)))


def _pause_for_tests(path: Path) -> None:
    pause = os.environ.get(PAUSE_ENV)
    if not pause:
        return
    print(f"intake: paused after COPY of {path.name}", file=sys.stderr, flush=True)
    if pause.startswith("until:"):
        release, deadline = Path(pause.removeprefix("until:")), time.monotonic() + 600
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    else:
        time.sleep(float(pause))


def _copy(conn: psycopg.Connection, table: str, report_id: str, source_file: str, frame, fields) -> None:
    """COPY the rows in chunks, each rendered column by column (bulk_copy: no Python per row)."""
    with copy_into(conn, table, ["report_id", "source_file", *fields]) as copy:
        for start in range(0, len(frame), COPY_CHUNK_ROWS):
            part = frame.iloc[start : start + COPY_CHUNK_ROWS]
            copy.write(copy_text([report_id, source_file, *(part[name] for name in fields)], len(part)))
