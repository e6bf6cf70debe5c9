"""The register of every finding ever published, kept in step with the marts.

``sync_register(conn)`` runs in the transaction that publishes the marts (publish.
``publish_tables``). For each ``finding_id`` of ``marts.rpt_validation_findings`` it records
the first and last time it was seen and the report version it was last found in
(``audit.findings``, migration 0008), so a finding that leaves the marts keeps its identity
and its review history (``audit.finding_reviews``). Two decisions are automatic
(origin ``automatic``, decided_by ``system``):

- **resolved**: a finding that was in the marts is gone, and a newer version of its report
  (state x programme x year) is in force than the one it was last found in: the correction
  changed the values involved. A finding gone for another reason (a rule changed) is only
  marked absent. A finding still found after a correction stays as it was.
- **open** again: a finding found again after it was resolved (automatically, or by a
  reviewer after it had left the marts).
"""

from __future__ import annotations

import logging

import psycopg

from programme_monitoring.warehouse.connection import relation_exists

log = logging.getLogger(__name__)

SYSTEM = "system"

# One row per finding_id of the published review list, with the version of its report.
_CURRENT = """
    select distinct on (f.finding_id)
        f.finding_id, f.rule_code, f.severity, f.state_code, f.programme_code, f.reporting_year,
        f.indicator_code, f.disaggregation, f.message_en, f.message_ru,
        h.report_version, f.report_id
    from marts.rpt_validation_findings as f
    join raw.report_headers as h on h.report_id = f.report_id
    order by f.finding_id, f.severity = 'error' desc, f.origin desc, f.finding_key
"""


def sync_register(conn: psycopg.Connection) -> dict[str, int]:
    """Bring audit.findings up to date with the published marts, in ``conn``'s transaction;
    record the automatic decisions. Returns counts (new, seen, gone, resolved, reopened)."""
    if not all(relation_exists(conn, name) for name in ("marts.rpt_validation_findings", "audit.findings")):
        return {}
    current = conn.execute(_CURRENT).fetchall()
    ids = [row[0] for row in current]
    # Found again after resolved (automatic, or decided while the finding was out of the marts).
    reopen = conn.execute(
        """select f.finding_id, f.last_report_version from audit.findings as f
           where f.finding_id = any(%s) and audit.finding_status(f.finding_id) = 'resolved'
             and (not f.present or (select r.origin from audit.finding_reviews as r
                                    where r.finding_id = f.finding_id
                                    order by r.review_id desc limit 1) = 'automatic')""",
        (ids,),
    ).fetchall()
    known = {
        r[0] for r in conn.execute("select finding_id from audit.findings where finding_id = any(%s)", (ids,))
    }
    with conn.cursor() as cursor:
        cursor.executemany(
            """insert into audit.findings as f (
                   finding_id, rule_code, severity, state_code, programme_code, reporting_year,
                   indicator_code, disaggregation, message_en, message_ru, first_report_version,
                   last_report_version, last_report_id)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
               on conflict (finding_id) do update set
                   last_seen_at = now(), last_report_version = excluded.last_report_version,
                   last_report_id = excluded.last_report_id, message_en = excluded.message_en,
                   message_ru = excluded.message_ru, severity = excluded.severity, present = true""",
            [(*row[:11], row[10], row[11]) for row in current],
        )
    # Gone from the marts now: resolved where a newer version of the report is in force.
    gone = conn.execute(
        """update audit.findings as f set present = false
           where f.present and f.finding_id <> all(%s)
           returning f.finding_id, f.state_code, f.programme_code, f.reporting_year, f.last_report_version""",
        (ids,),
    ).fetchall()
    resolved = 0
    for finding_id, state, programme, year, last_version in gone:
        (version,) = conn.execute(
            """select max(h.report_version) from raw.report_headers as h
               join audit.file_ledger as l on l.file_sha256 = h.report_id and l.status = 'loaded'
               where h.state_code = %s and h.programme_code = %s and h.reporting_year = %s""",
            (state, programme, year),
        ).fetchone()
        status = conn.execute("select audit.finding_status(%s)", (finding_id,)).fetchone()[0]
        if (
            version is None
            or last_version is None
            or version <= last_version
            or status in ("resolved", "dismissed")
        ):
            continue
        _decide(
            conn,
            finding_id,
            "resolved",
            f"Не найдено в версии {version} отчёта (последний раз — в версии {last_version}). / "
            f"Not found in version {version} of the report (last found in version {last_version}).",
        )
        resolved += 1
    version_of = {row[0]: row[10] for row in current}
    for finding_id, _last in reopen:
        version = version_of[finding_id]
        _decide(
            conn,
            finding_id,
            "open",
            f"Снова найдено в версии {version} отчёта. / Found again in version {version} of the report.",
        )
    counts = {
        "new": len(set(ids) - known),
        "seen": len(ids),
        "gone": len(gone),
        "resolved": resolved,
        "reopened": len(reopen),
    }
    log.info("findings register: %s", counts)
    return counts


def _decide(conn: psycopg.Connection, finding_id: str, status: str, note: str) -> None:
    conn.execute(
        """insert into audit.finding_reviews (finding_id, status, previous_status, decided_by, note, origin)
           values (%s, %s, '', %s, %s, 'automatic')""",
        (finding_id, status, SYSTEM, note),
    )


def mark_queried(conn: psycopg.Connection, finding_ids: list[str], letter_number: str) -> int:
    """The findings a query letter asks about that were still open: now ``queried``
    (automatic, the letter's number as the note, so an answer can be traced to it)."""
    still_open = conn.execute(
        "select finding_id from audit.findings "
        "where finding_id = any(%s) and audit.finding_status(finding_id) = 'open' order by finding_id",
        (finding_ids,),
    ).fetchall()
    for (finding_id,) in still_open:
        _decide(conn, finding_id, "queried", f"Письмо-запрос {letter_number} / Query letter {letter_number}")
    return len(still_open)
