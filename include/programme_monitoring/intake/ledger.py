"""Every SQL statement of the intake: the file ledger, the import tables and the raw rows.

``audit.file_ledger`` (one row per file seen, keyed by the SHA-256 of its bytes),
``audit.import_summary`` / ``import_conflicts`` / ``import_changes`` /
``validation_findings`` (what the import summary says, as rows), and ``raw.report_headers``
/ ``indicator_values`` / ``measure_status`` (the report as loaded, by COPY). What to write
and when is decided in ``ingest``; this module only knows how, and hands back named rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import psycopg

from programme_monitoring.intake.summary import LISTED_CHANGES, Change, ImportSummary
from programme_monitoring.quality.findings import Finding
from programme_monitoring.report_format.records import ParsedReport, ReportHeader
from programme_monitoring.warehouse.bulk_copy import copy_frame, copy_frames
from programme_monitoring.warehouse.connection import connect

LOCK_TIMEOUT = "2min"  # longest wait for another load of the same report (PostgreSQL interval)
INDICATOR_FIELDS = ("source_sheet", "source_row", "indicator_code", "disaggregation", "value", "is_reported",
                    "comment")  # fmt: skip
MEASURE_FIELDS = ("source_sheet", "source_row", "measure_code", "status", "narrative")
CHANGE_FIELDS = ("indicator_code", "disaggregation", "change", "old_value", "new_value", "old_reported",
                 "new_reported")  # fmt: skip
_CHANGES = ", ".join(CHANGE_FIELDS)
_BY_CELL = 'indicator_code collate "C", disaggregation collate "C"'  # Python's order of (code, breakdown)


class LoadedVersion(NamedTuple):
    """The version of a state x programme x year report that is loaded now."""

    sha256: str
    version: int
    file_name: str
    submission_date: dt.date


class Comparison(NamedTuple):
    """A correction's indicator values against the version it replaces (``compare_versions``)."""

    counts: dict[str, int]  # changes by kind: "added", "updated", "removed"
    listed: list[Change]  # the first changes, in the correction's row order (removed cells last)
    dropped: list[tuple[str, str]]  # the first removed cells (code, breakdown), in code order


@contextmanager
def load_transaction(
    *, rollback: bool = False, begun: psycopg.Connection | None = None
) -> Iterator[psycopg.Connection]:
    """One transaction for everything a load writes; ``rollback`` (a dry run) keeps none of it.
    ``begun``: a connection whose open transaction the load continues (``head_start``): it is
    committed, or rolled back on an exception, and closed."""
    if begun is not None:
        with begun:
            yield begun
        return
    with connect() as conn, conn.transaction(force_rollback=rollback):
        yield conn


def status(digest: str, conn: psycopg.Connection | None = None) -> str | None:
    """The ledger status of a file, or None if never seen; inside ``conn``'s transaction, locked."""
    sql = "select status from audit.file_ledger where file_sha256 = %s"
    if conn is not None:
        row = conn.execute(sql + " for update", (digest,)).fetchone()
    else:
        with connect() as own:
            row = own.execute(sql, (digest,)).fetchone()
    return row[0] if row else None


def statuses(digests: list[str]) -> dict[str, str]:
    """The ledger status of each of these files that the ledger knows."""
    with connect() as conn:
        rows = conn.execute(
            "select file_sha256, status from audit.file_ledger where file_sha256 = any(%s)", (digests,)
        ).fetchall()
    return dict(rows)


def mark_received(path: Path, digest: str, sender: str) -> None:
    """A file seen and being processed (taken again from the landing area if left in this status)."""
    with connect() as conn:
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status, sender)
               values (%s, %s, %s, %s, 'received', %s)
               on conflict (file_sha256) do update
                   set file_name = excluded.file_name, sender = excluded.sender, received_at = now(),
                       status = 'received'
                   where audit.file_ledger.status = 'received'
                      or (audit.file_ledger.status = 'rejected'
                          and audit.file_ledger.sender is distinct from excluded.sender)""",
            (digest, path.name, path.suffix.lower().lstrip("."), path.stat().st_size, sender),
        )


def record_rejected(
    path: Path, digest: str, sender: str, header: ReportHeader | None, reasons: list[str], stored: Path,
    summary: ImportSummary,
) -> dt.datetime | None:  # fmt: skip
    """A refused file: its ledger row (unless another run decided it meanwhile) and its summary;
    returns when the ledger says it was decided (None if another run decided it)."""
    with connect() as conn, conn.transaction():
        decided = conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                   sender, state_code, programme_code, reporting_year, report_version, reason, stored_path,
                   decided_at)
               values (%s, %s, %s, %s, 'rejected', %s, %s, %s, %s, %s, %s, %s, now())
               on conflict (file_sha256) do update set
                   status = 'rejected', file_name = excluded.file_name, sender = excluded.sender,
                   state_code = excluded.state_code, programme_code = excluded.programme_code,
                   reporting_year = excluded.reporting_year, report_version = excluded.report_version,
                   reason = excluded.reason, stored_path = excluded.stored_path, decided_at = now()
               where audit.file_ledger.status = 'received'
               returning decided_at""",
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
        ).fetchone()
        record_summary(conn, summary)
    return decided[0] if decided else None


def lock_report(conn: psycopg.Connection, h: ReportHeader) -> None:
    """Until the transaction ends, one loader per state x programme x year: a second one waits
    here, at most ``LOCK_TIMEOUT`` (then ``psycopg.errors.LockNotAvailable``). The lock is a row
    of ``audit.intake_locks``, which only the loader may lock (no reading role can stall a load)."""
    conn.execute(f"set local lock_timeout = '{LOCK_TIMEOUT}'")
    key = (h.state_code, h.programme_code, h.reporting_year)
    conn.execute(
        """insert into audit.intake_locks (state_code, programme_code, reporting_year)
           values (%s, %s, %s) on conflict do nothing""",
        key,
    )
    conn.execute(
        """select 1 from audit.intake_locks
           where state_code = %s and programme_code = %s and reporting_year = %s for update""",
        key,
    )


def loaded_version(conn: psycopg.Connection, h: ReportHeader) -> LoadedVersion | None:
    """The loaded version of the report this header belongs to, locked for update."""
    row = conn.execute(
        """select l.file_sha256, l.report_version, l.file_name, h.submission_date
           from audit.file_ledger l join raw.report_headers h on h.report_id = l.file_sha256
           where l.status = 'loaded' and l.state_code = %s and l.programme_code = %s
             and l.reporting_year = %s
           for update of l""",
        (h.state_code, h.programme_code, h.reporting_year),
    ).fetchone()
    return LoadedVersion(*row) if row else None


def newest_version(conn: psycopg.Connection, h: ReportHeader) -> LoadedVersion | None:
    """The highest stored version of this header's report, in force (``loaded``) or held by a
    period lock (``pending``), locked for update: a new version must be higher than it."""
    row = conn.execute(
        """select l.file_sha256, l.report_version, l.file_name, h.submission_date
           from audit.file_ledger l join raw.report_headers h on h.report_id = l.file_sha256
           where l.status in ('loaded', 'pending') and l.state_code = %s and l.programme_code = %s
             and l.reporting_year = %s
           order by l.report_version desc limit 1
           for update of l""",
        (h.state_code, h.programme_code, h.reporting_year),
    ).fetchone()
    return LoadedVersion(*row) if row else None


def year_locked(conn: psycopg.Connection, year: int) -> bool:
    """Whether an edition of the Council report has locked ``year`` (and no approver has unlocked it)."""
    return conn.execute("select audit.year_is_locked(%s)", (year,)).fetchone()[0]


def compare_versions(conn: psycopg.Connection, report_id: str, replaced_id: str, listed: int) -> Comparison:
    """Compare a correction's indicator values with those of the version it replaces (both rows
    of ``raw.indicator_values`` in this transaction) in PostgreSQL, by one join whatever their
    number: compared in Python, a corrected annex of a million cells took 5 s and 450 MB more.
    Every change goes into ``audit.import_changes`` in the correction's row order (removed cells
    last); the counts, the first ``listed`` changes and the first ``listed`` removed cells come
    back. One statement and no temporary table (the loader's role may make none); the join
    reads only the columns it compares (the report id and the comment would double its width)."""
    cells = "indicator_code, disaggregation, value, is_reported, source_row, source_sheet"
    conn.execute("delete from audit.import_changes where file_sha256 = %s", (report_id,))
    counts, first, dropped = conn.execute(
        f"""with changes as materialized (
                select row_number() over (order by new.source_row is null, new.source_row, new.source_sheet,
                                                   old.source_row, old.source_sheet) as place,
                       coalesce(new.indicator_code, old.indicator_code) as indicator_code,
                       coalesce(new.disaggregation, old.disaggregation) as disaggregation,
                       case when old.indicator_code is null then 'added'
                            when new.indicator_code is null then 'removed' else 'updated' end as change,
                       old.value as old_value, new.value as new_value,
                       old.is_reported as old_reported, new.is_reported as new_reported
                from (select {cells} from raw.indicator_values where report_id = %(new)s) as new
                full join (select {cells} from raw.indicator_values where report_id = %(old)s) as old
                    on old.indicator_code = new.indicator_code and old.disaggregation = new.disaggregation
                where old.indicator_code is null or new.indicator_code is null
                   or old.value is distinct from new.value or old.is_reported <> new.is_reported
            ), stored as (
                insert into audit.import_changes (file_sha256, superseded_sha256, {_CHANGES})
                select %(new)s, %(old)s, {_CHANGES} from changes order by place
            )
            select (select coalesce(json_object_agg(change, n), '{{}}')
                    from (select change, count(*) as n from changes group by change) as kinds),
                   (select coalesce(json_agg(json_build_array({_CHANGES}) order by place), '[]')
                    from (select * from changes order by place limit %(listed)s) as listed),
                   (select coalesce(json_agg(json_build_array(indicator_code, disaggregation)
                                             order by {_BY_CELL}), '[]')
                    from (select indicator_code, disaggregation from changes where change = 'removed'
                          order by {_BY_CELL} limit %(listed)s) as dropped)""",
        {"new": report_id, "old": replaced_id, "listed": listed},
    ).fetchone()
    return Comparison(counts, [Change(*row) for row in first], [tuple(cell) for cell in dropped])


def record_loaded(
    conn: psycopg.Connection,
    path: Path,
    digest: str,
    sender: str,
    report: ParsedReport,
    supersedes: str | None,
    status: str = "loaded",
    values_copied: bool = False,
) -> dt.datetime:
    """The ledger row of a loaded file (``status`` ``pending``: stored but held, its year is
    locked) and its rows in raw (header, then values and measures by COPY; ``values_copied``:
    a head start wrote the header and the values already); returns when the ledger says it
    was decided (the receipt says the same)."""
    h = report.header
    values, measures = report.indicator_values, report.measures
    decided = conn.execute(
        """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
               sender, state_code, programme_code, reporting_year, report_version, indicator_rows,
               measure_rows, supersedes, decided_at)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())
           on conflict (file_sha256) do update set
               status = excluded.status, file_name = excluded.file_name, file_format = excluded.file_format,
               sender = excluded.sender, state_code = excluded.state_code,
               programme_code = excluded.programme_code, reporting_year = excluded.reporting_year,
               report_version = excluded.report_version, indicator_rows = excluded.indicator_rows,
               measure_rows = excluded.measure_rows, supersedes = excluded.supersedes,
               decided_at = now()
           returning decided_at""",
        (digest, path.name, report.file_format, path.stat().st_size, status, sender, h.state_code,
         h.programme_code, h.reporting_year, h.version, report.value_count, len(measures), supersedes),
    ).fetchone()[0]  # fmt: skip
    if not values_copied:
        insert_header(conn, digest, path.name, report.file_format, h)
        copy_values(conn, digest, path.name, [values])
    copy_frame(conn, "raw.measure_status", measures[list(MEASURE_FIELDS)], _constants(digest, path.name))
    return decided


def insert_header(
    conn: psycopg.Connection, digest: str, file_name: str, file_format: str, h: ReportHeader
) -> None:
    """The report's row in ``raw.report_headers`` (its values and measures need it)."""
    conn.execute(
        """insert into raw.report_headers (report_id, source_file, file_format, state_code, authority,
               programme_code, reporting_year, submission_date, report_version)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (digest, file_name, file_format, h.state_code, h.authority, h.programme_code,
         h.reporting_year, h.submission_date, h.version),
    )  # fmt: skip


def copy_values(conn: psycopg.Connection, digest: str, file_name: str, chunks: Iterable[pd.DataFrame]) -> int:
    """A report's indicator values (its header inserted), in one COPY of every chunk; returns the rows."""
    fields = list(INDICATOR_FIELDS)
    return copy_frames(
        conn, "raw.indicator_values", (c[fields] for c in chunks), _constants(digest, file_name)
    )


def _constants(digest: str, file_name: str) -> dict[str, str]:
    return {"report_id": digest, "source_file": file_name}


def mark_superseded(conn: psycopg.Connection, superseded: str, by: str) -> None:
    conn.execute(
        """update audit.file_ledger set status = 'superseded', superseded_by = %s, decided_at = now()
           where file_sha256 = %s""",
        (by, superseded),
    )


def set_stored_path(conn: psycopg.Connection, digest: str, stored: Path) -> None:
    conn.execute(
        "update audit.file_ledger set stored_path = %s where file_sha256 = %s", (str(stored), digest)
    )


def record_summary(conn: psycopg.Connection, s: ImportSummary) -> None:
    """The import summary as rows (replacing any earlier one of the same file): counts and texts,
    conflicts and warnings for review (a correction's changes: ``compare_versions``)."""
    for table in ("import_summary", "import_conflicts", "validation_findings"):
        conn.execute(f"delete from audit.{table} where file_sha256 = %s", (s.sha256,))
    conn.execute(
        """insert into audit.import_summary (file_sha256, file_name, sender, status, state_code,
               programme_code, reporting_year, report_version, supersedes, imported, updated, unchanged,
               removed, ignored, conflicts, warnings, summary_en, summary_ru)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (s.sha256, s.file_name, s.sender, s.status, s.state_code, s.programme_code, s.reporting_year,
         s.report_version, s.supersedes, s.imported, s.updated, s.unchanged, s.removed, s.ignored,
         len(s.conflicts), len(s.warnings), s.text_en(), s.text_ru()),
    )  # fmt: skip
    with conn.cursor() as cur:
        cur.executemany(
            """insert into audit.import_conflicts (file_sha256, source_sheet, source_row, column_name,
                   reason_en, reason_ru, value) values (%s, %s, %s, %s, %s, %s, %s)""",
            [(s.sha256, c.source_sheet, c.source_row, c.column, c.reason_en, c.reason_ru,
              None if c.value is None else str(c.value)) for c in s.conflicts],
        )  # fmt: skip
        cur.executemany(
            """insert into audit.validation_findings (file_sha256, suite, severity, rule, source_sheet,
                   source_row, values_involved, reason_en, reason_ru)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            [(s.sha256, w.suite, w.severity, w.rule, w.source_sheet, w.source_row,
              json.dumps(w.involved, ensure_ascii=False, default=str), w.reason_en, w.reason_ru)
             for w in s.warnings],
        )  # fmt: skip


def decision(digest: str) -> tuple[str, str] | None:
    """(status, sender) of a file the ledger knows, or None."""
    with connect() as conn:
        row = conn.execute(
            "select status, sender from audit.file_ledger where file_sha256 = %s", (digest,)
        ).fetchone()
    return (row[0], row[1]) if row else None


def loaded_measures(conn: psycopg.Connection, report_id: str) -> list[str]:
    """The measure codes of a loaded report."""
    rows = conn.execute("select measure_code from raw.measure_status where report_id = %s", (report_id,))
    return [code for (code,) in rows]


# -- for receipts (``receipts.write_pending_receipts``) -------------------------------------


class RecordedDecision(NamedTuple):
    sha256: str
    status: str  # "loaded" or "rejected", as decided (a later supersession does not change it)
    sender: str
    warnings: int


def recorded_decisions() -> list[RecordedDecision]:
    """Every decision with an import summary: which receipts there should be."""
    with connect() as conn:
        rows = conn.execute(
            "select file_sha256, status, sender, warnings from audit.import_summary order by created_at"
        ).fetchall()
    return [RecordedDecision(*row) for row in rows]


def recorded_summary(digest: str) -> tuple[ImportSummary, dt.datetime]:
    """The import summary of a decided file as recorded (counts, conflicts, warnings, changes),
    and when it was decided."""
    with connect() as conn:
        head = conn.execute(
            """select s.file_name, s.sender, s.status, s.state_code, s.programme_code, s.reporting_year,
                      s.report_version, s.supersedes, s.imported, s.updated, s.unchanged, s.removed,
                      s.ignored, coalesce(l.decided_at, s.created_at), old.report_version,
                      coalesce(l.indicator_rows, 0), coalesce(l.measure_rows, 0)
               from audit.import_summary as s
               left join audit.file_ledger as l on l.file_sha256 = s.file_sha256
               left join audit.file_ledger as old on old.file_sha256 = s.supersedes
               where s.file_sha256 = %s""",
            (digest,),
        ).fetchone()
        conflicts = conn.execute(
            """select source_sheet, source_row, column_name, reason_en, reason_ru, value
               from audit.import_conflicts where file_sha256 = %s order by ctid""",
            (digest,),
        ).fetchall()
        warnings = conn.execute(
            """select suite, severity, rule, source_sheet, source_row, values_involved, reason_en, reason_ru
               from audit.validation_findings where file_sha256 = %s order by ctid""",
            (digest,),
        ).fetchall()
        changes = conn.execute(
            f"select {_CHANGES} from audit.import_changes where file_sha256 = %s order by ctid limit %s",
            (digest, LISTED_CHANGES),
        ).fetchall()
    (name, sender, status_, state, programme, year, version, supersedes, *counts, decided_at, old_version,
     values_read, measures_read) = head  # fmt: skip
    summary = ImportSummary(
        name, digest, sender, status_, state_code=state, programme_code=programme, reporting_year=year,
        report_version=version, supersedes=supersedes, superseded_version=old_version,
        values_read=values_read if status_ == "loaded" else counts[4], measures_read=measures_read,
        imported=counts[0], updated=counts[1], unchanged=counts[2], removed=counts[3], ignored=counts[4],
    )  # fmt: skip
    summary.conflicts = [
        Finding(en, ru, column=column or "", source_sheet=sheet or "", source_row=row, value=value)
        for sheet, row, column, en, ru, value in conflicts
    ]
    summary.warnings = [
        Finding(
            en, ru, severity, rule, suite, source_sheet=sheet or "", source_row=row, involved=involved or {}
        )
        for suite, severity, rule, sheet, row, involved, en, ru in warnings
    ]
    summary.changes = [Change(*row) for row in changes]
    return summary, decided_at
