"""Query letters: per sender, its open findings in one numbered letter it can answer item by item.

A letter goes to a state's sender (seed ``senders``; the secretariat reports for several
states and gets none) and lists the findings of ``marts.rpt_validation_findings`` for
that state (``OPEN_FINDINGS_SQL``), optionally of one reporting year. It is numbered
``EC-Q-<year issued>-<state>-<NNNN>`` (``NNNN``: the sender's letters of that year, from 1)
and recorded with its items, as they were when it was issued, in ``audit.query_letters``
and ``audit.query_letter_items`` (migration 0009), so that an answer can cite letter and
item and a reviewer can find the finding by its ``finding_id``.

A new letter is issued only when the sender has a finding that no earlier letter of its
cited; it then lists every open finding of the selection (old and new). Otherwise the
latest letter stands: running again issues nothing and only rewrites its files if they
are missing from the outbox. The files are drawn from the recorded items, never from the
mart again, so a letter's files always say what was recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from programme_monitoring.intake.receipts import outbox_for, sender_for
from programme_monitoring.reference import senders
from programme_monitoring.warehouse.connection import connect, relation_exists
from programme_monitoring.warehouse.findings_register import mark_queried

log = logging.getLogger(__name__)

# The findings a letter asks about: one state's (optionally one year's) rows of the review
# list that the sender can still act on (open, or queried by an earlier letter and not yet
# answered). Issuing a letter records its open findings as queried (findings_register).
OPEN_FINDINGS_SQL = """
select f.finding_id, f.rule_code, f.state_code, f.programme_code, f.reporting_year, f.indicator_code,
       f.disaggregation, f.left_value, f.operator, f.right_value, f.values_involved,
       f.message_en, f.message_ru, f.source_file, f.source_sheet, f.source_row
from marts.rpt_validation_findings as f
where f.state_code = %(state)s
  and f.review_status in ('open', 'queried')
  and (%(year)s::integer is null or f.reporting_year = %(year)s::integer)
order by f.reporting_year, f.programme_code, f.source_file nulls last, f.source_sheet nulls last,
         f.source_row nulls last, f.indicator_code nulls last, f.finding_id, f.finding_key
"""
ITEM_COLUMNS = (
    "finding_id",
    "rule_code",
    "state_code",
    "programme_code",
    "reporting_year",
    "indicator_code",
    "disaggregation",
    "left_value",
    "operator",
    "right_value",
    "values_involved",
    "message_en",
    "message_ru",
    "source_file",
    "source_sheet",
    "source_row",
)


@dataclass
class Letter:
    number: str
    sender_id: str
    state_code: str
    issued_at: dt.datetime
    reporting_year: int | None
    items: list[dict] = field(default_factory=list)  # item_number + ITEM_COLUMNS + indicator names
    new: bool = False  # issued by this run
    files: dict[str, Path] = field(default_factory=dict)


def letter_number(state_code: str, issue_year: int, sequence: int) -> str:
    return f"EC-Q-{issue_year}-{state_code}-{sequence:04d}"


def _open_findings(conn, state_code: str, year: int | None) -> list[dict]:
    rows = conn.execute(OPEN_FINDINGS_SQL, {"state": state_code, "year": year}).fetchall()
    return [dict(zip(ITEM_COLUMNS, row, strict=True)) for row in rows]


def _cited(conn, sender_id: str) -> set[str]:
    rows = conn.execute(
        """select distinct i.finding_id from audit.query_letter_items as i
           join audit.query_letters as l using (letter_number) where l.sender_id = %s""",
        (sender_id,),
    )
    return {finding_id for (finding_id,) in rows}


def _latest(conn, sender_id: str, year: int | None) -> str | None:
    row = conn.execute(
        """select letter_number from audit.query_letters
           where sender_id = %s and reporting_year is not distinct from %s
           order by issued_at desc, issue_year desc, sequence desc limit 1""",
        (sender_id, year),
    ).fetchone()
    return row[0] if row else None


def _record(
    conn, sender_id: str, state_code: str, year: int | None, items: list[dict], today: dt.date
) -> str:
    (sequence,) = conn.execute(
        "select coalesce(max(sequence), 0) + 1 from audit.query_letters "
        "where sender_id = %s and issue_year = %s",
        (sender_id, today.year),
    ).fetchone()
    number = letter_number(state_code, today.year, sequence)
    conn.execute(
        """insert into audit.query_letters (letter_number, sender_id, state_code, issue_year, sequence,
               reporting_year, item_count) values (%s, %s, %s, %s, %s, %s, %s)""",
        (number, sender_id, state_code, today.year, sequence, year, len(items)),
    )
    with conn.cursor() as cur:
        cur.executemany(
            f"""insert into audit.query_letter_items (letter_number, item_number, {", ".join(ITEM_COLUMNS)})
                values (%s, %s, {", ".join(["%s"] * len(ITEM_COLUMNS))})""",
            [(number, i, *(item[c] for c in ITEM_COLUMNS)) for i, item in enumerate(items, 1)],
        )
    return number


def recorded_letter(conn, number: str) -> Letter:
    """A letter as recorded, its items with the indicator's names (dim_indicator)."""
    sender_id, state_code, issued_at, year = conn.execute(
        "select sender_id, state_code, issued_at, reporting_year from audit.query_letters "
        "where letter_number = %s",
        (number,),
    ).fetchone()
    cursor = conn.execute(
        f"""select i.item_number, {", ".join("i." + c for c in ITEM_COLUMNS)},
                   d.indicator_name_ru, d.indicator_name_en
            from audit.query_letter_items as i
            left join marts.dim_indicator as d on d.indicator_code = i.indicator_code
            where i.letter_number = %s order by i.item_number""",
        (number,),
    )
    columns = [c.name for c in cursor.description]
    items = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return Letter(number, sender_id, state_code, issued_at, year, items)


def issue_query_letters(
    sender: str | None = None, year: int | None = None, today: dt.date | None = None, write_files: bool = True
) -> list[Letter]:
    """The current query letter of each state sender (or of ``sender``) that has open findings.

    A sender with findings no earlier letter cited gets a new numbered letter; the others
    keep their latest one. With ``write_files`` the XLSX and PDF are (re)written into the
    sender's outbox where missing. Raises ``UnknownSenderError`` for an unregistered ``sender``.
    """
    from programme_monitoring.publishing.letters import letter_files

    today = today or dt.date.today()
    if sender is not None:
        chosen = [sender_for(sender)]
        if not chosen[0].state_code:
            raise ValueError(
                f"{sender!r} reports for several states: query letters go to the states' own senders"
            )
    else:
        chosen = [s for s in senders().values() if s.state_code]
    letters: list[Letter] = []
    with connect() as conn:
        if not relation_exists(conn, "marts.rpt_validation_findings"):
            log.info("query letters: no findings published yet (the marts are not built): none to send")
            return letters  # a new deployment's first daily run, before the first transform
    for who in sorted(chosen, key=lambda s: s.sender_id):
        with connect() as conn, conn.transaction():
            # One run at a time per sender decides whether a letter is new and numbers it.
            conn.execute("select pg_advisory_xact_lock(hashtext('query_letters:' || %s))", (who.sender_id,))
            findings = _open_findings(conn, who.state_code, year)
            if not findings:
                continue
            new = {f["finding_id"] for f in findings} - _cited(conn, who.sender_id)
            number = _latest(conn, who.sender_id, year)
            if new or number is None:
                number = _record(conn, who.sender_id, who.state_code, year, findings, today)
                mark_queried(conn, sorted({f["finding_id"] for f in findings}), number)
            letter = recorded_letter(conn, number)
            letter.new = bool(new)
        if write_files:
            letter.files = letter_files.write_letter(letter, outbox_for(who.sender_id))
        letters.append(letter)
    return letters


def number_value(value) -> int | float | None:
    """A mart number as a spreadsheet number: whole numbers as int, others as float."""
    if value is None:
        return None
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return float(value)
