"""Reminders: a report due within N days and not yet received, said to its state's sender once.

What is due and what has arrived is ``marts.rpt_reporting_completeness`` (expected
slots, the deadline of each from the seed ``reporting_deadlines``, received or not).
For each slot expected, not received, whose deadline falls in ``[today, today + days]``,
the state's own sender (seed ``senders``) gets ``reminder-<programme>-<year>-<deadline>``
``.txt`` (Russian, then English) and ``.json`` in its outbox. Each (sender, report,
deadline) is recorded in ``audit.sender_reminders`` (migration 0009) in the transaction
that writes the files, so it is reminded once; a changed deadline reminds again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from programme_monitoring.atomic_files import write_atomically
from programme_monitoring.intake.receipts import outbox_for
from programme_monitoring.publishing import formatting
from programme_monitoring.publishing.council.text import PROGRAMME_SHORT
from programme_monitoring.reference import senders
from programme_monitoring.warehouse.connection import connect, relation_exists

log = logging.getLogger(__name__)

REMINDER_SCHEMA = "programme_monitoring.reminder/1"
DEFAULT_DAYS = 30
DUE_SQL = """
select c.state_code, c.programme_code, c.reporting_year, c.report_deadline
from marts.rpt_reporting_completeness as c
where c.is_expected and not c.is_received
  and c.report_deadline between %(today)s and %(today)s::date + %(days)s::integer
order by c.state_code, c.report_deadline, c.programme_code, c.reporting_year
"""


@dataclass(frozen=True)
class Reminder:
    sender_id: str
    state_code: str
    programme_code: str
    reporting_year: int
    report_deadline: dt.date
    path: Path


def _text(sender, programme: str, year: int, deadline: dt.date, today: dt.date) -> str:
    days = (deadline - today).days
    short = {lang: PROGRAMME_SHORT[lang].get(programme, programme) for lang in ("ru", "en")}
    return "\n".join(
        [
            "НАПОМИНАНИЕ О СРОКЕ ПРЕДСТАВЛЕНИЯ ОТЧЁТА — Исполнительный комитет СНГ",
            "",
            f"Кому: {sender.name_ru}",
            f"Отчёт по программе {programme} ({short['ru']}) за {year} год "
            "ещё не получен. Срок представления: "
            f"{formatting.date(deadline, 'ru')} (осталось дней: {days}).",
            "Просим направить отчёт до этой даты в папку вашего отправителя в области приёма. Если отчёт "
            "уже направлен, это напоминание можно не учитывать: квитанция о приёме поступит в эту папку.",
            "",
            "=" * 72,
            "",
            "REMINDER OF A REPORT DEADLINE — CIS Executive Committee",
            "",
            f"To: {sender.name_en}",
            f"The {programme} programme ({short['en']}) report for {year} "
            "has not been received yet. It is due on "
            f"{formatting.date(deadline, 'en')} ({days} day(s) left).",
            "Please send it before that date to your sender folder of the landing area. If it is already on "
            "its way, disregard this reminder: its receipt will arrive in this folder.",
            "",
        ]
    )


def send_reminders(
    days: int = DEFAULT_DAYS, today: dt.date | None = None, sender: str | None = None
) -> list[Reminder]:
    """Write the reminders due now that were not sent before; the reminders written."""
    today = today or dt.date.today()
    if days < 0:
        raise ValueError(f"days must be 0 or more, not {days}")
    by_state = {s.state_code: s for s in senders().values() if s.state_code}
    sent: list[Reminder] = []
    with connect() as conn:
        if not relation_exists(conn, "marts.rpt_reporting_completeness"):
            log.info("reminders: which reports are missing is not known before the first transform")
            return sent
        due = conn.execute(DUE_SQL, {"today": today, "days": days}).fetchall()
        for state_code, programme, year, deadline in due:
            who = by_state.get(state_code)
            if who is None or (sender is not None and who.sender_id != sender):
                continue
            name = f"reminder-{programme}-{year}-{deadline.isoformat()}"
            with conn.transaction():
                inserted = conn.execute(
                    """insert into audit.sender_reminders (sender_id, state_code, programme_code,
                           reporting_year, report_deadline, file_name) values (%s, %s, %s, %s, %s, %s)
                       on conflict do nothing returning 1""",
                    (who.sender_id, state_code, programme, year, deadline, name + ".txt"),
                ).fetchone()
                if inserted is None:
                    continue
                folder = outbox_for(who.sender_id)
                document = {
                    "reminder_schema": REMINDER_SCHEMA,
                    "sender_id": who.sender_id,
                    "state_code": state_code,
                    "programme_code": programme,
                    "reporting_year": year,
                    "report_deadline": deadline.isoformat(),
                    "written_on": today.isoformat(),
                }
                write_atomically(
                    folder / f"{name}.json", json.dumps(document, ensure_ascii=False, indent=2) + "\n"
                )
                write_atomically(folder / f"{name}.txt", _text(who, programme, year, deadline, today))
            sent.append(
                Reminder(who.sender_id, state_code, programme, year, deadline, folder / f"{name}.txt")
            )
    return sent
