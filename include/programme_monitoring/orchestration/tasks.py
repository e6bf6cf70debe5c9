"""Task bodies of every DAG: thin calls into the package, with what the task log should show.

The DAG files and the command line call these; each imports its job's package lazily so
that parsing a DAG file stays cheap.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def ingest_task(files: list[str] | None = None, dry_run: bool = False, sender: str | None = None) -> dict:
    """Ingest the landing area (or the given files); ``dry_run`` validates and summarises only."""
    _say_if_preloaded("great_expectations")
    from programme_monitoring.intake import ingest as intake
    from programme_monitoring.intake import remote_landing as landing
    from programme_monitoring.orchestration import storage
    from programme_monitoring.quality import data_docs

    failure = None
    try:
        if files:
            outcomes = intake.ingest_files([Path(f) for f in files], sender=sender, dry_run=dry_run)
        elif dry_run:  # the local folder, or the remote landing area when LANDING_URL is set
            outcomes = landing.ingest_landing_area(dry_run=dry_run)
        else:  # with STORAGE_URL: the store's landing area; outputs pushed back to the store
            with storage.staged():
                outcomes = landing.ingest_landing_area(dry_run=dry_run)
    except intake.IntakeLoadError as error:  # the others were decided: report them, then fail
        outcomes, failure = error.outcomes, error
    if not dry_run:
        data_docs.build_data_docs()
        storage.push_data_docs()
    summary = {
        "dry_run": dry_run,
        "loaded": [o.file_name for o in outcomes if o.status == "loaded"],
        "held": {o.file_name: o.reasons for o in outcomes if o.status == "pending"},
        "superseding": {o.file_name: o.supersedes for o in outcomes if o.supersedes},
        "rejected": {o.file_name: o.reasons for o in outcomes if o.status == "rejected"},
        "duplicates": [o.file_name for o in outcomes if o.status == "duplicate"],
        "warnings": {o.file_name: o.warnings for o in outcomes if o.warnings},
        "left_for_next_run": {o.file_name: o.reasons for o in outcomes if o.status == "failed"},
    }
    if dry_run:
        for outcome in outcomes:
            if outcome.summary is not None:
                print(outcome.summary.text())
    for name, reasons in summary["held"].items():
        print(f"{'WOULD HOLD' if dry_run else 'HELD'} {name}:\n  " + "\n  ".join(reasons))
    for name, reasons in summary["rejected"].items():
        print(f"{'WOULD REFUSE' if dry_run else 'REFUSED'} {name}:\n  " + "\n  ".join(reasons))
    print(
        f"intake{' (dry run: nothing loaded or moved)' if dry_run else ''}: "
        f"{len(summary['loaded'])} {'would load' if dry_run else 'loaded'}, "
        f"{len(summary['held'])} held (year locked), "
        f"{len(summary['rejected'])} refused, {len(summary['duplicates'])} already seen, "
        f"{sum(map(len, summary['warnings'].values()))} warning(s) for review"
        + (f", {len(summary['left_for_next_run'])} left for the next run" if failure else "")
    )
    if failure is not None:
        raise failure
    return summary


def _say_if_preloaded(module: str) -> None:
    """Whether the worker this task was forked from had imported ``module`` (orchestration.preload)."""
    if module in sys.modules:
        log.info("%s was preloaded by the worker", module)
    else:
        log.info(
            "%s was not preloaded by the worker: this task imports it (seconds; see"
            " programme_monitoring.orchestration.preload)",
            module,
        )


def transform_task() -> None:
    _say_if_preloaded("dbt.cli.main")
    from programme_monitoring.warehouse.transform import build_warehouse

    build_warehouse()
    print(findings_line())


def findings_line() -> str:
    """How many findings the review list (marts.rpt_validation_findings) holds, by where they
    were found: the intake's are the warnings its runs printed, the rest the warehouse's own."""
    from psycopg.errors import UndefinedTable

    from programme_monitoring.warehouse.connection import connect

    try:
        with connect() as conn:
            counts = dict(
                conn.execute(
                    "select origin, count(*) from marts.rpt_validation_findings group by origin"
                ).fetchall()
            )
    except UndefinedTable:  # nothing built yet
        return "review list (marts.rpt_validation_findings): not built yet"
    intake_count, warehouse_count = counts.get("intake", 0), counts.get("warehouse", 0)
    return (
        f"review list (marts.rpt_validation_findings): {intake_count + warehouse_count} finding(s), "
        f"{intake_count} found at intake (the warnings of the loaded reports), "
        f"{warehouse_count} across reports and years"
    )


def publish_task() -> dict:
    from programme_monitoring.orchestration.storage import staged
    from programme_monitoring.publishing.headline import write_headline_report
    from programme_monitoring.publishing.sdmx import write_sdmx_exports

    with staged():  # with STORAGE_URL: written locally, then pushed to the store's reports/
        report = write_headline_report()
        sdmx = write_sdmx_exports()
    return {
        "csv": str(report.csv_path),
        "html": str(report.html_path),
        "years": [r["reporting_year"] for r in report.rows],
        "sdmx": {name: str(path) for name, path in sdmx.items()},
    }


def council_report_year(not_after: int | None = None) -> int | None:
    """The latest year with figures in ``marts.rpt_headline_figures`` (not after ``not_after``,
    if any year is), or None where the marts hold none."""
    from psycopg.errors import UndefinedTable

    from programme_monitoring.publishing.headline import read_headline_figures

    try:
        years = sorted({int(r["reporting_year"]) for r in read_headline_figures()})
    except UndefinedTable:  # no marts built yet (a new deployment's first 1 April run)
        return None
    if not years:
        return None
    earlier = [y for y in years if not_after is None or y <= not_after]
    return earlier[-1] if earlier else years[-1]


def council_report_task(
    year: int | None = None,
    languages: tuple[str, ...] = ("ru", "en"),
    not_after: int | None = None,
    approved_only: bool = False,
    publish: bool = False,
) -> dict:
    """Render the Council report edition for ``year``; without one, for the latest year with
    figures, not after ``not_after`` (the scheduled run: the year before it) where possible.
    ``approved_only``: from the approved report versions (``marts_approved`` is built first);
    ``publish``: the published edition, which locks its year."""
    from programme_monitoring.publishing.council.editions import write_council_report

    if not year:
        year = council_report_year(not_after)
        if year is None:
            raise NoDataYet(
                "marts.rpt_headline_figures holds no year yet: nothing to report / "
                "в витрине ещё нет ни одного года: отчёт не формируется"
            )
        log.info("Council report: no year given, reporting on %s, the latest year with figures", year)
    year = int(year)
    from programme_monitoring.orchestration.storage import staged

    if approved_only:
        from programme_monitoring.warehouse.transform import build_warehouse

        build_warehouse(approved_only=True)
    with staged(pull_areas=("reports",)):  # the previous edition, to list revised figures
        edition = write_council_report(
            year, languages=tuple(languages), approved_only=approved_only, publish=publish
        )
    return {
        "year": year,
        "approved_only": approved_only,
        "published": edition.published,
        "as_of": edition.as_of,
        "revisions": len(edition.revisions),
        "files": {name: str(path) for name, path in edition.files.items()},
    }


class NoDataYet(RuntimeError):
    """Nothing to work on yet: the DAG skips (names what is missing) instead of failing."""


def urs_ingest_task(files: list[str] | None = None, rekey: bool = False) -> dict:
    """Task body (Airflow or CLI): mask the secrets, ingest the given extracts or the URS landing area.

    ``rekey``: re-pseudonymise everything with the current key (:func:`rekey_extracts`); the
    files must include the source of every loaded extract.
    """
    from programme_monitoring.urs.extract import ingest_extract, ingest_urs_landing, rekey_extracts
    from programme_monitoring.urs.pseudonym import (
        AIRFLOW_VARIABLE,
        KEY_ENV,
        UrsKeyError,
        mask_in_airflow,
        pseudonym_key,
    )
    from programme_monitoring.warehouse.connection import connection_parts

    mask_in_airflow(connection_parts()["password"])
    if not (os.environ.get(KEY_ENV) or os.environ.get("AIRFLOW_VAR_" + AIRFLOW_VARIABLE.upper())):
        try:
            key = pseudonym_key()  # may still come from a secrets backend
        except UrsKeyError as missing:
            raise NoDataYet(
                f"{KEY_ENV} is not set: URS extracts are not ingested (set it, or the Airflow Variable "
                f"{AIRFLOW_VARIABLE}; .env.example) / {KEY_ENV} не задан: выгрузки УРС не загружаются"
            ) from missing
    else:
        key = pseudonym_key()  # a key that is set but unfit is an error, not a skip
    if rekey:
        outcomes = rekey_extracts([Path(f) for f in files or []], key=key)
    elif files:
        outcomes = [ingest_extract(Path(f), key=key) for f in files]
    else:
        from programme_monitoring.orchestration.storage import staged

        with staged(pull_areas=("urs_landing",), consume="urs_landing"):
            outcomes = ingest_urs_landing(key=key)
    summary = {
        "loaded": {o.source_file: o.event_rows for o in outcomes if o.status == "loaded"},
        "rejected": {o.source_file: o.reasons for o in outcomes if o.status == "rejected"},
        "duplicates": [o.source_file for o in outcomes if o.status == "duplicate"],
    }
    loaded, events = len(summary["loaded"]), sum(summary["loaded"].values())
    refused, seen = len(summary["rejected"]), len(summary["duplicates"])
    line = (
        f"URS intake: {loaded} extract(s) loaded ({events} events), {refused} refused, {seen} already seen / "
        f"приём УРС: загружено выгрузок: {loaded} (событий: {events}), отклонено: {refused}, "
        f"уже были загружены: {seen}"
    )
    print(line)
    log.info(line)  # the task log's own record of the run (in Airflow, print goes to stdout only)
    return summary


def unodc_ingest_task(files: list[str] | None = None) -> dict:
    """Load UNODC GLOTIP releases: the given files, or the storage area for external sources."""
    from programme_monitoring.sources.unodc import ingest_release, ingest_unodc_landing

    outcomes = [ingest_release(Path(f)) for f in files] if files else ingest_unodc_landing()
    summary = {
        "loaded": {
            o.source_file: {"release_date": o.release_date, "rows": o.data_rows}
            for o in outcomes
            if o.status == "loaded"
        },
        "superseded": {o.source_file: o.supersedes for o in outcomes if o.supersedes},
        "rejected": {
            o.source_file: {"en": o.reasons_en, "ru": o.reasons_ru}
            for o in outcomes
            if o.status == "rejected"
        },
        "duplicates": [o.source_file for o in outcomes if o.status == "duplicate"],
    }
    for name, reasons in summary["rejected"].items():
        print(f"REFUSED {name}:\n  " + "\n  ".join(reasons["en"]) + "\n  " + "\n  ".join(reasons["ru"]))
    line = (
        f"UNODC GLOTIP: {len(summary['loaded'])} release(s) loaded, {len(summary['rejected'])} refused "
        f"(the release in force stays), {len(summary['duplicates'])} already loaded"
    )
    print(line)
    log.info(line)
    return summary


def notify_senders_task(
    sender: str | None = None,
    year: int | None = None,
    reminder_days: int = 30,
    letters: bool = True,
    today=None,
) -> dict:
    """Answer the senders in their outboxes: receipts the intake did not write, the query
    letters on open findings (a new one only for new findings), reminders of reports due
    within ``reminder_days`` days and not received."""
    from programme_monitoring.intake.receipts import write_pending_receipts
    from programme_monitoring.orchestration.storage import staged
    from programme_monitoring.publishing.letters.queries import issue_query_letters
    from programme_monitoring.publishing.letters.reminders import send_reminders

    with staged(pull_areas=("outbox",)):  # with STORAGE_URL: the outbox pulled, written, pushed back
        receipts = write_pending_receipts()
        issued = issue_query_letters(sender=sender, year=year, today=today) if letters else []
        reminders = send_reminders(days=reminder_days, today=today, sender=sender)
    summary = {
        "receipts_written": len(receipts) // 2,
        "query_letters": {letter.number: len(letter.items) for letter in issued},
        "new_query_letters": [letter.number for letter in issued if letter.new],
        "reminders": [
            f"{r.sender_id}: {r.programme_code} {r.reporting_year} due {r.report_deadline}" for r in reminders
        ],
    }
    log.info(
        "senders answered: %d receipt(s) written, %d new query letter(s), %d reminder(s)",
        summary["receipts_written"],
        len(summary["new_query_letters"]),
        len(reminders),
    )
    return summary
