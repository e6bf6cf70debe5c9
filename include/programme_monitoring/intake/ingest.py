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

Every decided file gets an import summary (see ``summary``), in Russian and
English, beside the archived or quarantined file (``<hash>.summary.json``,
``<hash>.summary.txt``) and in ``audit.import_summary`` / ``audit.import_conflicts`` /
``audit.import_changes``. ``dry_run=True`` validates and returns the summaries without
loading, recording or moving anything.

Test hook: if the environment variable ``PROGRAMME_MONITORING_PAUSE_AFTER_COPY`` holds a
number of seconds, each load sleeps that long after its COPY and before its commit,
printing ``intake: paused after COPY`` to stderr first (the fault tests kill the loader
or the server there); ``until:<path>`` instead waits until that file exists (at most
ten minutes).

This module holds the decisions, in the order a file meets them (screen, parse, validate,
then refuse or load); every SQL statement they need is in ``ledger``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg

from programme_monitoring.intake import ledger
from programme_monitoring.intake.summary import Change, ImportSummary
from programme_monitoring.quality import validation as quality
from programme_monitoring.quality.findings import Finding
from programme_monitoring.report_format.file_safety import file_sha256
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import ParsedReport, ReportFormatError, ReportHeader
from programme_monitoring.settings import paths
from programme_monitoring.warehouse.schema import init as init_schema

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".xlsx", ".csv", ".json"}
PAUSE_ENV = "PROGRAMME_MONITORING_PAUSE_AFTER_COPY"
DONE_STATUSES = ("loaded", "rejected", "superseded")


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


@dataclass
class _Candidate:
    """A file past the screening: parsed (or not) and with the conflicts found so far."""

    digest: str
    sender: str
    report: ParsedReport | None
    conflicts: list[Finding]


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
    init_schema()
    today = today or dt.date.today()
    outcomes: dict[Path, FileOutcome] = {}
    candidates: dict[Path, _Candidate] = {}
    for path in files:
        who = sender or sender_of(path, landing)
        if path.is_symlink() or not path.is_file():
            # Never follow a link out of the landing area; leave it for an operator.
            reason = "not a regular file (links and folders are not read)"
            outcomes[path] = FileOutcome(path.name, "", "rejected", [reason], sender=who, dry_run=dry_run)
            continue
        digest = file_sha256(path)
        if ledger.status(digest) in DONE_STATUSES:
            outcomes[path] = _duplicate(path, digest, who, dry_run)
            continue
        if not dry_run:
            ledger.mark_received(path, digest, who)
        candidates[path] = _Candidate(digest, who, *_parse(path))

    warnings = _validate(list(candidates.values()), today)

    # Reports of the same state x programme x year load in version order within a batch,
    # as if delivered one after the other.
    def order(item: tuple[Path, _Candidate]) -> tuple[int, int]:
        c = item[1]
        return (0, 0) if c.conflicts or c.report is None else (1, c.report.header.version)

    for path, c in sorted(candidates.items(), key=order):
        if c.conflicts:
            outcomes[path] = _reject(path, c.digest, c.sender, c.conflicts, c.report, dry_run)
        else:
            found = warnings.get(str(c.report.source_file), [])
            outcomes[path] = _load(path, c.digest, c.sender, c.report, found, dry_run)
    return [outcomes[path] for path in files]


# -- reading and validating --------------------------------------------------


def _parse(path: Path) -> tuple[ParsedReport | None, list[Finding]]:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return None, [
            Finding(
                f"unsupported file type {path.suffix!r}: send .xlsx, .csv or .json (report template v1)",
                f"неподдерживаемый тип файла {path.suffix!r}: направьте .xlsx, .csv или .json "
                "(шаблон отчёта, версия 1)",
                rule="file_type",
            )
        ]
    try:
        return parse_report(path), []
    except ReportFormatError as error:
        return None, [
            Finding(
                error.reason,
                f"файл не читается как шаблон отчёта (версия 1): {error.reason}",
                rule="report_format",
                source_sheet=error.sheet,
                source_row=error.row,
                column=error.column,
            )
        ]


def _validate(candidates: list[_Candidate], today: dt.date) -> dict[str, list[Finding]]:
    """Blocking suites on every parsed report (their findings become its conflicts), then the
    warning suites on the reports that passed; returns the warnings per source file."""
    parsed = [c.report for c in candidates if c.report is not None]
    blocking = quality.validate_reports(parsed, current_year=today.year) if parsed else {}
    for c in candidates:
        if c.report is not None:
            c.conflicts += blocking[str(c.report.source_file)]
    passed = [c.report for c in candidates if c.report is not None and not c.conflicts]
    return quality.validate_warnings(passed) if passed else {}


# -- deciding ----------------------------------------------------------------


def _duplicate(path: Path, digest: str, sender: str, dry_run: bool) -> FileOutcome:
    log.info(
        "%s: exists (same bytes as a file already in the ledger, %s): nothing to do", path.name, digest[:12]
    )
    if not dry_run:
        path.unlink()
    summary = ImportSummary(path.name, digest, sender, "duplicate", dry_run=dry_run)
    return FileOutcome(path.name, digest, "duplicate", sender=sender, dry_run=dry_run, summary=summary)


def _reject(
    path: Path,
    digest: str,
    sender: str,
    conflicts: list[Finding],
    report: ParsedReport | None,
    dry_run: bool,
) -> FileOutcome:
    reasons = [c.describe() for c in conflicts]
    summary = _summary(path, digest, sender, "rejected", report, dry_run)
    summary.ignored, summary.conflicts = summary.values_read, conflicts
    if dry_run:
        return FileOutcome(
            path.name, digest, "rejected", reasons, sender=sender, dry_run=True, summary=summary
        )
    stored = _store(path, digest, paths().quarantine)
    stored.with_name(stored.name + ".reason.txt").write_text(
        _reason_text(path, digest, reasons), encoding="utf-8"
    )
    summary.write_beside(stored)
    ledger.record_rejected(path, digest, sender, report and report.header, reasons, stored, summary)
    path.unlink()
    log.warning(
        "%s refused with %d problem(s); reasons in %s", path.name, len(reasons), stored.name + ".reason.txt"
    )
    return FileOutcome(
        path.name, digest, "rejected", reasons, stored_path=str(stored), sender=sender, summary=summary
    )


class _Refused(Exception):
    def __init__(self, conflict: Finding) -> None:
        super().__init__(conflict.reason_en)
        self.conflict = conflict


class _Duplicate(Exception):
    pass


def _load(
    path: Path,
    digest: str,
    sender: str,
    report: ParsedReport,
    findings: list[Finding],
    dry_run: bool,
) -> FileOutcome:
    h = report.header
    values, measures = report.indicator_values, report.measures
    summary = _summary(path, digest, sender, "loaded", report, dry_run)
    summary.warnings = list(findings)
    outcome = FileOutcome(
        path.name,
        digest,
        "loaded",
        indicator_rows=len(values),
        measure_rows=len(measures),
        sender=sender,
        dry_run=dry_run,
        warnings=[_warning_text(w) for w in findings],
        summary=summary,
    )
    try:
        with ledger.load_transaction(rollback=dry_run) as conn:
            ledger.lock_report(conn, h)  # one winner per state x programme x year
            if ledger.status(digest, conn) in DONE_STATUSES:
                raise _Duplicate
            current = ledger.loaded_version(conn, h)
            if current and current.version >= h.version:
                raise _Refused(_not_newer(h, current))
            if current:
                summary.supersedes, summary.superseded_version = current.sha256, current.version
            _count_changes(summary, ledger.loaded_cells(conn, current.sha256) if current else None, values)
            outcome.supersedes = summary.supersedes
            if dry_run:
                return outcome
            ledger.record_loaded(conn, path, digest, sender, report, summary.supersedes)
            _pause_for_tests(path)
            if current:
                ledger.mark_superseded(conn, current.sha256, by=digest)
            ledger.record_summary(conn, summary)
            # Archive before commit: if anything fails nothing is committed. The landing copy
            # goes only after the commit, so a crash in between loses nothing (the rerun finds
            # the hash in the ledger and just clears the landing file).
            stored = _store(path, digest, paths().archive)
            summary.write_beside(stored)
            ledger.set_stored_path(conn, digest, stored)
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
    outcome.stored_path = str(stored)
    log.info(
        "%s loaded: %d values, %d measures%s%s",
        path.name,
        len(values),
        len(measures),
        f", supersedes version {summary.superseded_version}" if summary.supersedes else "",
        f", {len(findings)} warning(s) for review" if findings else "",
    )
    return outcome


def _not_newer(h: ReportHeader, current: ledger.LoadedVersion) -> Finding:
    what = "the same version" if current.version == h.version else "a newer version"
    what_ru = "та же версия" if current.version == h.version else "более новая версия"
    return Finding(
        f"{what} ({current.version}) of the {h.programme_code} {h.reporting_year} report of {h.state_code} "
        f"is already loaded (file {current.file_name!r}, SHA-256 {current.sha256[:12]}...); this file "
        f"declares version {h.version}. Nothing was overwritten: to correct the report send it with "
        f"version {current.version + 1}",
        f"{what_ru} ({current.version}) отчёта {h.state_code} по программе {h.programme_code} за "
        f"{h.reporting_year} год уже загружена (файл {current.file_name!r}); в этом файле указана версия "
        f"{h.version}. Данные не перезаписаны: исправленный отчёт направьте с версией {current.version + 1}",
        rule="version_not_newer",
        column="version",
        value=h.version,
    )


def _count_changes(
    summary: ImportSummary, old: dict[tuple[str, str], ledger.Cell] | None, values: pd.DataFrame
) -> None:
    """Fill the counts and, for a correction, the cell-by-cell changes against the loaded version."""
    if old is None:
        summary.imported = len(values)  # rows are unique per indicator and disaggregation (checked)
        return
    new = {
        (code, dis): (None if pd.isna(value) else int(value), bool(reported))
        for code, dis, value, reported in zip(
            values.indicator_code, values.disaggregation, values.value, values.is_reported, strict=True
        )
    }
    for key, (value, reported) in new.items():
        if key not in old:
            summary.imported += 1
            summary.changes.append(Change(*key, "added", None, value, None, reported))
        elif old[key] != (value, reported):
            summary.updated += 1
            summary.changes.append(
                Change(*key, "updated", old[key].value, value, old[key].reported, reported)
            )
        else:
            summary.unchanged += 1
    for key, (value, reported) in old.items():
        if key not in new:
            summary.removed += 1
            summary.changes.append(Change(*key, "removed", value, None, reported, None))


# -- files and texts ---------------------------------------------------------


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


def _reason_text(path: Path, digest: str, reasons: list[str]) -> str:
    return "\n".join(
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


def _warning_text(w: Finding) -> str:
    return f"{w.where() or w.suite}: {w.reason_en} {w.involved} / {w.reason_ru}"


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
