"""Intake: landing area -> parse -> Great Expectations -> raw tables, or quarantine.

Every file comes from a registered sender (seed ``senders``; the landing sub-folder it
came in, ``landing/kz/``, ``landing/secretariat/``, or ``--sender`` for a manual load).
A file that is not a regular file with one name (link, hard link, folder), lies outside
the landing area, or has no registered sender is refused unread and left where it is
(nothing of it is read, recorded or quoted). Every other file the intake sees gets one
row in ``audit.file_ledger`` keyed by the SHA-256 of its bytes, with its sender and a
status:

- ``received``: seen, being processed (a row left in this status means the load was
  interrupted; the next run takes the file again from the landing area);
- ``rejected``: refused; nothing loaded; moved to the quarantine under its hash with a
  ``.reason.txt`` naming the rows to fix;
- ``loaded``: accepted, loaded and archived under its hash;
- ``superseded``: was loaded, then replaced by a higher version of the same state x
  programme x year (its raw rows stay queryable; marts use the ``loaded`` one only);
- ``pending``: accepted and stored (raw rows, archive) but held: its year was locked by a
  published edition of the Council report, so it is not in force until an approver
  unlocks the year or releases it (``warehouse.approvals``); it then becomes ``loaded``.

A file is loaded and marked loaded in ONE transaction that holds the row of its (state,
programme, year) in ``audit.intake_locks`` (which only the loader may lock), so two
deliveries at once cannot both win: the second waits, then sees the first; a wait longer
than ``ledger.LOCK_TIMEOUT`` leaves the file for the next run. A version not higher than the one already
loaded is refused, never overwritten. The same bytes again, under any name, are a
logged no-op. Blocking Great Expectations suites refuse a file; warning suites load it
and put the finding on the review list (``audit.validation_findings``).

Every decided file gets an import summary (see ``summary``), in Russian and
English, beside the archived or quarantined file (``<hash>.summary.json``,
``<hash>.summary.txt``) and in ``audit.import_summary`` / ``audit.import_conflicts`` /
``audit.import_changes``; and a receipt (see ``receipts``) in the sender's outbox,
``outbox/<sender>/``. ``dry_run=True`` validates and returns the summaries without
loading, recording or moving anything.

Test hook: if the environment variable ``PROGRAMME_MONITORING_PAUSE_AFTER_COPY`` holds a
number of seconds, each load sleeps that long after its COPY and before its commit,
printing ``intake: paused after COPY`` to stderr first (the fault tests kill the loader
or the server there); ``until:<path>`` instead waits until that file exists (at most
ten minutes).

Every file is decided, and one file never stops the others: whatever goes wrong while
reading or checking a file refuses it with a reason (never a traceback, never quoting a
file that was not read as a report). Only the warehouse's own failures (server gone,
disk full, lock timeout) leave a file in the landing area for the next run; the run
still decides every other file, then raises ``IntakeLoadError`` naming those left.

This module holds the decisions, in the order a file meets them (screen, parse, check,
then refuse or load while the suites validate, see ``reading.Suites``: a load commits
only on their verdict); the intake's own rules are in ``checks``; every SQL statement
they need is in ``ledger``. A large CSV report's values go to PostgreSQL while it is read
(``head_start``), in a transaction its load continues; nothing is decided any earlier. Past
``reading.HOLD_BYTES`` the report is not held: its values are checked as read (``slices``).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from programme_monitoring.intake import checks, explanations, ledger, reading, receipts
from programme_monitoring.intake.head_start import HeadStarts
from programme_monitoring.intake.reading import (
    SUPPORTED_SUFFIXES,  # noqa: F401 - part of this module's API
    Refused,
)
from programme_monitoring.intake.summary import LISTED_CHANGES, ImportSummary, count_changes
from programme_monitoring.quality.findings import Finding
from programme_monitoring.report_format.file_safety import file_sha256
from programme_monitoring.report_format.records import ParsedReport
from programme_monitoring.settings import paths
from programme_monitoring.warehouse.schema import init as init_schema

log = logging.getLogger(__name__)

PAUSE_ENV = "PROGRAMME_MONITORING_PAUSE_AFTER_COPY"
DONE_STATUSES = ("loaded", "rejected", "superseded", "pending")


class IntakeLoadError(RuntimeError):
    """The warehouse failed during a load (disk full, server gone, lock timeout): nothing of the
    file(s) named was kept and they stay for the next run; ``outcomes`` holds every file's outcome."""

    def __init__(self, message: str, outcomes: list | None = None) -> None:
        super().__init__(message)
        self.outcomes = outcomes or []


@dataclass
class FileOutcome:
    file_name: str
    sha256: str
    status: (
        str  # "loaded", "pending" (held: year locked), "rejected", "duplicate" or "failed"; dry run: would
    )
    reasons: list[str] = field(default_factory=list)
    indicator_rows: int = 0
    measure_rows: int = 0
    stored_path: str = ""
    sender: str = "unknown"
    dry_run: bool = False
    supersedes: str | None = None
    warnings: list[str] = field(default_factory=list)
    summary: ImportSummary | None = field(default=None, repr=False)
    decided_at: dt.datetime | None = None  # as the ledger holds it (the receipt's time)


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
    if not dry_run:  # senders' explanations of findings (intake/explanations.py), not reports
        for path in [f for f in files if explanations.is_explanation_file(f)]:
            explanations.take_explanations(path, sender_of(path, landing) or "unknown")
    files = [f for f in files if f.exists() and not explanations.is_explanation_file(f)]
    outcomes = ingest_files(files, today, dry_run=dry_run, landing=landing)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("loaded", "rejected", "duplicate")}
    log.info(
        "intake%(dry)s: %(loaded)d loaded, %(rejected)d rejected, %(seen)d already seen / "
        "приём%(dry_ru)s: загружено %(loaded)d, отклонено %(rejected)d, уже были %(seen)d",
        {
            "dry": " (dry run)" if dry_run else "",
            "dry_ru": " (пробная проверка)" if dry_run else "",
            "loaded": counts["loaded"],
            "rejected": counts["rejected"],
            "seen": counts["duplicate"],
        },
    )
    return outcomes


def sender_of(path: Path, landing: Path | None = None) -> str | None:
    """The landing sub-folder a file came in (one per sender), or None (the root, or elsewhere)."""
    landing = (landing or paths().landing).resolve()
    parent = path.parent.resolve()
    return parent.name if parent != landing and parent.parent == landing else None


def ingest_files(
    files: list[Path],
    today: dt.date | None = None,
    *,
    sender: str | None = None,
    dry_run: bool = False,
    landing: Path | None = None,
) -> list[FileOutcome]:
    """Screen, parse, check, validate (one Great Expectations pass per batch of files, in file
    order: ``reading.batches``) and load or refuse each file.

    ``sender`` names who sent the files (a registered sender id; default: the landing
    sub-folder). ``landing`` is the landing area the files were listed in (None for a
    manual load). ``dry_run`` validates and summarises without loading, recording or
    moving anything. Raises ``IntakeLoadError`` at the end if the warehouse failed for
    some files (they stay for the next run); every other file is decided first.
    """
    init_schema()
    today = today or dt.date.today()
    outcomes: dict[Path, FileOutcome] = {}
    failed: list[str] = []
    for batch in reading.batches(files):  # reports held at once: a batch's, not the run's
        _ingest_batch(batch, today, sender, dry_run, landing, outcomes, failed)
    result = [outcomes[path] for path in files]
    receipts.write_receipts(result)  # the senders hear back (outbox/<sender>/)
    if failed:
        raise IntakeLoadError("\n".join(failed), result)
    return result


# -- deciding ----------------------------------------------------------------


def _ingest_batch(
    files: list[Path],
    today: dt.date,
    sender: str | None,
    dry_run: bool,
    landing: Path | None,
    outcomes: dict[Path, FileOutcome],
    failed: list[str],
) -> None:
    """``ingest_files`` of one batch: its files read, then checked and validated together, then
    decided in load order; each file's outcome goes to ``outcomes``."""
    candidates: dict[Path, reading.Candidate] = {}
    with HeadStarts() as head_starts:  # large CSV reports: values COPYed while they are read
        for path in files:
            who = sender or sender_of(path, landing)
            if refusal := checks.screen(path, who, landing):
                outcomes[path] = _refuse_unread(path, who, refusal, dry_run)
                continue
            try:
                digest = file_sha256(path)
                prior = ledger.decision(digest)
                if prior and prior[0] in DONE_STATUSES and not (prior[0] == "rejected" and prior[1] != who):
                    outcomes[path] = _duplicate(path, digest, who, dry_run)
                    continue
                if not dry_run:
                    ledger.mark_received(path, digest, who)
                head_start = None if dry_run else head_starts.start(path, digest)
                candidates[path] = reading.candidate(path, digest, who, head_start, today)
            except (OSError, psycopg.Error) as error:
                outcomes[path] = _failed(path, "", who, error, failed, dry_run)

        reading.check(list(candidates.values()))
        # A load waits for the suites' verdict before it commits; a file they refuse is rolled
        # back and refused, as if they had run first (see ``reading.Suites``).
        with reading.Suites(list(candidates.values()), today) as suites:
            for path, c in sorted(candidates.items(), key=_load_order):
                begun = head_starts.take(c.digest, None if c.refused else c.report)
                outcomes[path] = _decide(path, c, suites, begun, dry_run, failed)


def _load_order(item: tuple[Path, reading.Candidate]) -> tuple[int, int]:
    """Reports of the same state x programme x year load in version order within a batch, as if
    delivered one after the other."""
    c = item[1]
    return (0, 0) if c.refused or c.report is None else (1, c.report.header.version)


def _decide(
    path: Path,
    c: reading.Candidate,
    suites: reading.Suites,
    begun: psycopg.Connection | None,
    dry_run: bool,
    failed: list[str],
) -> FileOutcome:
    """Refuse or load a file read and checked (``begun``: its head start's transaction)."""
    try:
        try:
            if c.refused:
                suites.wait()  # the refusal lists the suites' findings too
                return _reject(path, c.digest, c.sender, c.conflicts, c.report, dry_run)
            verdict = functools.partial(suites.verdict, c)
            return _load(path, c.digest, c.sender, c.report, verdict, dry_run, begun)
        except psycopg.DataError:  # its refusal quotes what PostgreSQL cannot store: refuse it bare
            return _reject(path, c.digest, c.sender, [checks.unstorable()], None, dry_run)
    except (IntakeLoadError, OSError, psycopg.Error) as error:
        return _failed(path, c.digest, c.sender, error, failed, dry_run)


def _refuse_unread(path: Path, sender: str | None, refusal: Finding, dry_run: bool) -> FileOutcome:
    """Refused before reading: left where it is for its sender or an operator, nothing recorded."""
    log.warning(
        "%(file)s refused unread, left in place: %(en)s / "
        "%(file)s отклонён без чтения и оставлен на месте: %(ru)s",
        {"file": path.name, "en": refusal.reason_en, "ru": refusal.reason_ru},
    )
    return FileOutcome(
        path.name, "", "rejected", [refusal.describe()], sender=sender or "unknown", dry_run=dry_run
    )


def _failed(
    path: Path, digest: str, sender: str | None, error: Exception, failed: list[str], dry_run: bool
) -> FileOutcome:
    """The warehouse (or the machine) failed for this file: it stays for the next run."""
    if isinstance(error, IntakeLoadError):
        message = str(error)
    else:
        message = (
            f"{path.name}: the warehouse failed while taking it in ({type(error).__name__}: "
            f"{str(error).strip()}). Nothing from this file was kept; it stays in the landing area "
            "for the next run."
        )
    log.error("%s", message)
    failed.append(message)
    return FileOutcome(path.name, digest, "failed", [message], sender=sender or "unknown", dry_run=dry_run)


def _duplicate(path: Path, digest: str, sender: str, dry_run: bool) -> FileOutcome:
    log.info(
        "%(file)s: exists (same bytes as a file already in the ledger, %(id)s): nothing to do / "
        "%(file)s: уже получен (те же байты, что у файла в журнале, %(id)s): ничего не делается",
        {"file": path.name, "id": digest[:12]},
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
    summary = ImportSummary.of(path, digest, sender, "rejected", report, dry_run)
    summary.ignored, summary.conflicts = summary.values_read, conflicts
    if dry_run:
        return FileOutcome(
            path.name, digest, "rejected", reasons, sender=sender, dry_run=True, summary=summary
        )
    stored = _store(path, digest, paths().quarantine)
    summary.write_reason(stored, reasons)
    summary.write_beside(stored)
    decided = ledger.record_rejected(path, digest, sender, report and report.header, reasons, stored, summary)
    path.unlink()
    log.warning(
        "%(file)s refused with %(n)d problem(s); reasons in %(text)s / "
        "%(file)s отклонён, проблем: %(n)d; причины в %(text)s",
        {"file": path.name, "n": len(reasons), "text": stored.name + ".reason.txt"},
    )
    outcome = FileOutcome(path.name, digest, "rejected", reasons, stored_path=str(stored), sender=sender)
    outcome.summary, outcome.decided_at = summary, decided
    return outcome


class _Duplicate(Exception):
    pass


def _refusals(verdict: Callable[[], list[Finding]], refused: Refused) -> list[Finding]:
    """Why a file is refused: the suites' reasons first, as if they had run before the load."""
    try:
        verdict()
    except Refused as by_suites:
        return by_suites.conflicts
    return refused.conflicts


def _load(
    path: Path,
    digest: str,
    sender: str,
    report: ParsedReport,
    verdict: Callable[[], list[Finding]],
    dry_run: bool,
    begun: psycopg.Connection | None = None,
) -> FileOutcome:
    """``begun``: the open transaction of the file's head start (its header and values written)."""
    if begun is None and report.streamed_rows is not None:
        report = reading.values_again(report)  # its head start failed: they are copied from the report
    h = report.header
    summary = ImportSummary.of(path, digest, sender, "loaded", report, dry_run)
    outcome = FileOutcome(
        path.name,
        digest,
        "loaded",
        indicator_rows=report.value_count,
        measure_rows=len(report.measures),
        sender=sender,
        dry_run=dry_run,
        summary=summary,
    )
    try:
        with ledger.load_transaction(rollback=dry_run, begun=begun) as conn:
            ledger.lock_report(conn, h)  # one winner per state x programme x year
            if ledger.status(digest, conn) in DONE_STATUSES:
                raise _Duplicate
            current = ledger.newest_version(conn, h)  # in force, or held by a period lock
            if current and current.version >= h.version:
                raise Refused(checks.not_newer(h, current))
            if ledger.year_locked(conn, h.reporting_year):  # stored, but held until unlocked
                outcome.status = summary.status = "pending"
                outcome.reasons = [summary.held_text()]
            # The rows go in first: a correction is compared with the version it replaces in
            # PostgreSQL (a dry run's too, in its transaction that is rolled back).
            replaced = current.sha256 if current else None
            if replaced or not dry_run:
                decided_at = ledger.record_loaded(
                    conn, path, digest, sender, report, replaced, outcome.status, begun is not None
                )
            comparison = replaced and ledger.compare_versions(conn, digest, replaced, LISTED_CHANGES)
            if current:
                if refusals := _correction_refusals(conn, report, current, comparison):
                    raise Refused(*refusals)
                summary.supersedes, summary.superseded_version = current.sha256, current.version
            count_changes(summary, comparison)
            outcome.supersedes = summary.supersedes
            if dry_run:
                _warn(outcome, verdict())
                return outcome
            outcome.decided_at = decided_at
            _pause_for_tests(path)
            findings = _warn(outcome, verdict())  # the suites refuse it: the COPY is rolled back
            if current and outcome.status == "loaded":
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
    except Refused as refused:
        return _reject(path, digest, sender, _refusals(verdict, refused), report, dry_run)
    # A value the checks let through and PostgreSQL refuses, by its type or a check of the
    # table (migration 0012, or one an administrator added): the file is refused, not retried.
    except (psycopg.DataError, psycopg.errors.CheckViolation) as error:
        unstorable = Refused(checks.unstorable())
        if (conflicts := _refusals(verdict, unstorable)) is unstorable.conflicts:  # not the suites'
            log.warning(
                "%(file)s: PostgreSQL refused a value of it (%(error)s) / "
                "%(file)s: PostgreSQL отклонил его значение (%(error)s)",
                {"file": path.name, "error": type(error).__name__},
            )
        return _reject(path, digest, sender, conflicts, report, dry_run)
    except psycopg.errors.LockNotAvailable as error:
        raise IntakeLoadError(
            f"{path.name}: another load of the {h.programme_code} {h.reporting_year} report of "
            f"{h.state_code} held its lock for longer than {ledger.LOCK_TIMEOUT}. Nothing from this file "
            "was kept; it stays in the landing area for the next run."
        ) from error
    except psycopg.Error as error:
        raise IntakeLoadError(
            f"{path.name}: the warehouse failed while loading it ({type(error).__name__}: "
            f"{str(error).strip()}). Nothing from this file was kept; it stays in the landing area "
            "for the next run."
        ) from error
    path.unlink()
    outcome.stored_path = str(stored)
    held = outcome.status == "pending"
    log.info(
        "%(file)s %(what)s: %(values)d values, %(measures)d measures%(more)s / "
        "%(file)s %(what_ru)s: значений %(values)d, мероприятий %(measures)d%(more_ru)s",
        {
            "file": path.name,
            "what": "held (its year is locked), stored" if held else "loaded",
            "what_ru": "задержан (год закрыт), сохранён" if held else "загружен",
            "values": report.value_count,
            "measures": len(report.measures),
            "more": (f", supersedes version {summary.superseded_version}" if summary.supersedes else "")
            + (f", {len(findings)} warning(s) for review" if findings else ""),
            "more_ru": (f", заменяет версию {summary.superseded_version}" if summary.supersedes else "")
            + (f", предупреждений для проверки: {len(findings)}" if findings else ""),
        },
    )
    return outcome


def _warn(outcome: FileOutcome, findings: list[Finding]) -> list[Finding]:
    outcome.summary.warnings = list(findings)
    outcome.warnings = [_warning_text(w) for w in findings]
    return findings


def _correction_refusals(
    conn, report: ParsedReport, current: ledger.LoadedVersion, cells: ledger.Comparison
) -> list[Finding]:
    """A correction keeps the rows and the date order of the version it replaces."""
    measures = set(ledger.loaded_measures(conn, current.sha256)) - set(report.measures.measure_code)
    found = [
        checks.correction_dated_earlier(report.header, current.submission_date, current.version),
        checks.dropped_rows(current.version, cells.dropped, cells.counts.get("removed", 0), "indicator"),
        checks.dropped_rows(current.version, [(code, "") for code in sorted(measures)], None, "measure"),
    ]
    return [f for f in found if f is not None]


# -- files and texts ---------------------------------------------------------


def _store(path: Path, digest: str, folder: Path) -> Path:
    """Copy a file under its content hash, never its sender's name."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}{path.suffix.lower()}"
    shutil.copyfile(path, target)
    return target


def _warning_text(w: Finding) -> str:
    return f"{w.where() or w.suite}: {w.reason_en} / {w.reason_ru}"


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
