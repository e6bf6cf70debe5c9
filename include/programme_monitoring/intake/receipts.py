"""Receipts: every decided file answered in its sender's outbox, in Russian and English.

For each file the intake decides (accepted, accepted with warnings, refused, or the same
bytes again), two files go into ``<storage>/outbox/<sender_id>/``:

- ``<sha256>.<decision>.txt``: the readable receipt, Russian first then English; a refusal
  lists every reason with its place (sheet, row, column) and what to do; an acceptance
  gives the import summary (values loaded, version, what changed against the previous
  version, warnings for review);
- ``<sha256>.<decision>.json``: the same for machines (schema ``RECEIPT_SCHEMA``, fields
  documented in docs/receipts.md).

Named by the file's SHA-256 and the decision, written atomically (a hidden temporary file
in the same folder, then a rename), never twice: a receipt that exists is left as it is.
The sender id comes from the file's delivery (its landing sub-folder or ``--sender``),
which is outside input: only an id of the sender registry (seed ``senders``) names an
outbox, and the folder must resolve directly under the outbox root
(``UnknownSenderError`` otherwise, nothing written). Files refused unread (no or an
unknown sender, a link) get no receipt: they have no registered sender or were never
read, and they stay where they were delivered.

``write_receipts`` is called by the intake for the files it has just decided;
``write_pending_receipts`` writes any receipt missing for a decision recorded in the
ledger (the daily ``notify_senders`` DAG calls it, so a receipt lost to a crash between
the commit and the write still goes out). A duplicate is not recorded in the ledger, so
only the intake run that saw it writes its receipt.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from programme_monitoring.atomic_files import write_atomically
from programme_monitoring.intake.summary import LISTED_CHANGES, Change, ImportSummary
from programme_monitoring.quality.findings import Finding
from programme_monitoring.reference import Sender, senders
from programme_monitoring.settings import paths

log = logging.getLogger(__name__)

RECEIPT_SCHEMA = "programme_monitoring.receipt/1"
DECISIONS = ("accepted", "accepted_with_warnings", "refused", "duplicate")
# The readable receipt lists at most this many changes (the JSON as many as the summary holds);
# both say how many there are in all.
CHANGES_IN_TEXT = 50
CHANGES_IN_JSON = LISTED_CHANGES

HEADING = {
    "accepted": ("ПРИНЯТ: отчёт загружен", "ACCEPTED: the report is loaded"),
    "accepted_with_warnings": (
        "ПРИНЯТ С ПРЕДУПРЕЖДЕНИЯМИ: отчёт загружен, отдельные значения будут проверены",
        "ACCEPTED WITH WARNINGS: the report is loaded; some values will be reviewed",
    ),
    "refused": ("ОТКЛОНЁН: данные файла не загружены", "REFUSED: nothing from this file was loaded"),
    "duplicate": (
        "УЖЕ ПОЛУЧЕН: файл с тем же содержимым уже учтён, действий не требуется",
        "ALREADY RECEIVED: a file with the same content was received before; nothing to do",
    ),
    "held": (
        "ПРИНЯТ НА ХРАНЕНИЕ: отчётный год заблокирован изданием доклада Совету, версия сохранена, "
        "но не учитывается до снятия блокировки",
        "HELD: the reporting year is locked by an edition of the Council report; the version is stored "
        "but not counted until it is unlocked",
    ),
}
WHAT_NEXT = {
    "accepted": ("Действий не требуется.", "Nothing to do."),
    "accepted_with_warnings": (
        "Проверьте значения, указанные в предупреждениях. Если они верны, ничего делать не нужно "
        "(при необходимости Исполнительный комитет направит запрос); если ошибочны, направьте "
        "исправленный отчёт со следующим номером версии.",
        "Check the values named in the warnings. If they are right, nothing is needed (the Executive "
        "Committee may send a query); if they are wrong, send a corrected report with the next "
        "version number.",
    ),
    "refused": (
        "Исправьте каждое указанное место и направьте файл повторно целиком (данные этого файла не "
        "загружены, поэтому номер версии можно оставить прежним, если причина не в нём).",
        "Fix every place listed and send the whole file again (nothing of this file was loaded, so "
        "the version number may stay the same unless it is the reason).",
    ),
    "duplicate": ("Действий не требуется.", "Nothing to do."),
    "held": (
        "Действий не требуется: версия будет учтена, когда Исполнительный комитет снимет блокировку "
        "отчётного года; до тех пор действует прежняя версия.",
        "Nothing to do: the version counts once the Executive Committee unlocks the reporting year; "
        "until then the previous version stays in force.",
    ),
}


class UnknownSenderError(ValueError):
    """A sender id that names no registered sender (or no folder right under the outbox root)."""


def outbox_root() -> Path:
    return paths().outbox


def sender_for(sender_id: object) -> Sender:
    """The registered sender of ``sender_id``, or ``UnknownSenderError`` saying what is accepted."""
    registry = senders()
    if not isinstance(sender_id, str) or sender_id not in registry:
        raise UnknownSenderError(
            f"{sender_id!r} is not a registered sender (seed senders: {', '.join(sorted(registry))}); "
            "nothing was written"
        )
    return registry[sender_id]


def outbox_for(sender_id: object) -> Path:
    """The outbox folder of a registered sender, checked to lie right under the outbox root."""
    sender = sender_for(sender_id)
    root = outbox_root()
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    folder = root / sender.sender_id
    if folder.is_symlink() or folder.resolve().parent != root or folder.name != sender.sender_id:
        raise UnknownSenderError(
            f"the outbox of {sender.sender_id!r} does not resolve to a folder of {root}: nothing was written"
        )
    folder.mkdir(exist_ok=True)
    return folder


# -- what a receipt says ---------------------------------------------------------


def decision_of(summary: ImportSummary) -> str:
    if summary.status == "rejected":
        return "refused"
    if summary.status == "duplicate":
        return "duplicate"
    if summary.status == "pending":
        return "held"
    return "accepted_with_warnings" if summary.warnings else "accepted"


def _place(f: Finding) -> dict[str, Any]:
    return {"sheet": f.source_sheet or None, "row": f.source_row, "column": f.column or None}


def _place_text(f: Finding, lang: str) -> str:
    words = {
        "ru": ("лист", "строка", "столбец", "файл в целом"),
        "en": ("sheet", "row", "column", "whole file"),
    }
    sheet, row, column, whole = words[lang]
    parts = [f"{sheet} «{f.source_sheet}»" if f.source_sheet else ""]
    parts += [f"{row} {f.source_row}" if f.source_row is not None else ""]
    parts += [f"{column} «{f.column}»" if f.column else ""]
    return ", ".join(p for p in parts if p) or whole


def _fix(f: Finding, lang: str) -> str:
    place = _place_text(f, lang)
    if lang == "ru":
        return f"исправьте: {place}" if f.source_sheet or f.column else "исправьте файл, как сказано выше"
    return f"correct: {place}" if f.source_sheet or f.column else "correct the file as said above"


def _found(f: Finding, lang: str) -> str:
    if f.value is None:
        return ""
    return f" (указано: {f.value})" if lang == "ru" else f" (found: {f.value})"


def _change_doc(c: Change) -> dict[str, Any]:
    return {
        "indicator_code": c.indicator_code,
        "disaggregation": c.disaggregation,
        "change": c.change,
        "old_value": c.old_value,
        "new_value": c.new_value,
        "old_reported": c.old_reported,
        "new_reported": c.new_reported,
    }


def receipt_document(summary: ImportSummary, sender: Sender, decided_at: dt.datetime) -> dict[str, Any]:
    """The machine-readable receipt (schema ``RECEIPT_SCHEMA``, docs/receipts.md)."""
    decision = decision_of(summary)
    report = None
    if summary.state_code is not None:
        report = {
            "state_code": summary.state_code,
            "programme_code": summary.programme_code,
            "reporting_year": summary.reporting_year,
            "version": summary.report_version,
        }
    document = {
        "receipt_schema": RECEIPT_SCHEMA,
        "receipt_id": f"{summary.sha256}.{decision}",
        "decision": decision,
        "decided_at": decided_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "sender": {"sender_id": sender.sender_id, "name_ru": sender.name_ru, "name_en": sender.name_en},
        "file": {"name": summary.file_name, "sha256": summary.sha256},
        "report": report,
        "supersedes": (
            {"sha256": summary.supersedes, "version": summary.superseded_version}
            if summary.supersedes
            else None
        ),
        "counts": {
            "values_read": summary.values_read,
            "measures_read": summary.measures_read,
            "imported": summary.imported,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "removed": summary.removed,
            "ignored": summary.ignored,
        },
        "reasons": [
            {
                **_place(c),
                "value": None if c.value is None else str(c.value),
                "message_ru": c.reason_ru,
                "message_en": c.reason_en,
                "fix_ru": _fix(c, "ru"),
                "fix_en": _fix(c, "en"),
            }
            for c in summary.conflicts
        ],  # fmt: skip
        "warnings": [
            {
                **_place(w),
                "values_involved": dict(w.involved),
                "message_ru": w.reason_ru,
                "message_en": w.reason_en,
            }
            for w in summary.warnings
        ],
        "changes_total": summary.change_count,
        "changes": [_change_doc(c) for c in summary.changes[:CHANGES_IN_JSON]],
        "what_next_ru": WHAT_NEXT[decision][0],
        "what_next_en": WHAT_NEXT[decision][1],
    }
    return document


def _value(value: int | None, reported: bool | None, lang: str) -> str:
    if reported is None:
        return "—"
    if reported and value is not None:
        return str(value)
    return "не представлено" if lang == "ru" else "not reported"


def receipt_text(document: dict[str, Any]) -> str:
    """The readable receipt: Russian, then English, of the same document."""
    return _text(document, "ru") + "\n" + "=" * 72 + "\n\n" + _text(document, "en")


T = {
    "ru": {
        "title": "КВИТАНЦИЯ О ПРИЁМЕ ОТЧЁТА — Исполнительный комитет СНГ",
        "sender": "Отправитель",
        "file": "Файл",
        "decided": "Дата решения",
        "report": "Отчёт",
        "report_of": "государство {state}, программа {programme}, {year} год, версия {version}",
        "unread": "заголовок отчёта не прочитан",
        "decision": "Решение",
        "replaces": "Исправленный отчёт: заменяет версию {version}, она сохранена с отметкой «заменён».",
        "held_over": "Исправленный отчёт: версия {version} остаётся в силе, пока блокировка не снята.",
        "counts": "Значения: прочитано {values_read}; загружено новых {imported}, изменено {updated}, "
        "без изменений {unchanged}, исключено {removed}, не загружено {ignored}; статусов мероприятий "
        "{measures_read}.",
        "reasons": "Причины отказа ({n}):",
        "value": "указано",
        "changes": "Изменения по сравнению с предыдущей версией ({n}):",
        "more_changes": "… и ещё {n}; все изменения перечислены в JSON-квитанции (до 1000) и в хранилище.",
        "warnings": "Предупреждения для проверки ({n}):",
        "what_next": "Что делать",
    },
    "en": {
        "title": "REPORT RECEIPT — CIS Executive Committee",
        "sender": "Sender",
        "file": "File",
        "decided": "Decided on",
        "report": "Report",
        "report_of": "state {state}, programme {programme}, year {year}, version {version}",
        "unread": "the report's header could not be read",
        "decision": "Decision",
        "replaces": "Correction: replaces version {version}, which is kept marked superseded.",
        "held_over": "Correction: version {version} stays in force until the lock is lifted.",
        "counts": "Values: {values_read} read; {imported} new, {updated} changed, {unchanged} unchanged, "
        "{removed} removed, {ignored} not loaded; {measures_read} measure statuses.",
        "reasons": "Reasons for the refusal ({n}):",
        "value": "found",
        "changes": "Changes against the previous version ({n}):",
        "more_changes": "... and {n} more; the JSON receipt lists them (up to 1,000), the warehouse "
        "holds all.",
        "warnings": "Warnings for review ({n}):",
        "what_next": "What to do",
    },
}
CHANGE_WORDS = {
    "ru": {"updated": "изменено", "added": "добавлено", "removed": "исключено"},
    "en": {"updated": "changed", "added": "added", "removed": "removed"},
}


def _text(d: dict[str, Any], lang: str) -> str:
    t, name = T[lang], d["sender"][f"name_{lang}"]
    ru = lang == "ru"
    lines = [t["title"], "", f"{t['sender']}: {name}", f"{t['file']}: {d['file']['name']}"]
    lines += [
        f"SHA-256: {d['file']['sha256']}",
        f"{t['decided']}: {d['decided_at'].replace('T', ' ').replace('+00:00', ' UTC')}",
    ]
    r = d["report"]
    lines.append(f"{t['report']}: " + (t["report_of"].format(**{**r, "state": r["state_code"], "programme": r["programme_code"], "year": r["reporting_year"]}) if r else t["unread"]))  # noqa: E501  # fmt: skip
    lines += ["", f"{t['decision']}: {HEADING[d['decision']][0 if ru else 1]}"]
    if d["decision"] == "duplicate":
        return "\n".join([*lines, "", f"{t['what_next']}: {d[f'what_next_{lang}']}", ""])
    if d["supersedes"]:
        replaces = "held_over" if d["decision"] == "held" else "replaces"
        lines.append(t[replaces].format(version=d["supersedes"]["version"]))
    lines.append(t["counts"].format(**d["counts"]))
    if d["reasons"]:
        lines += ["", t["reasons"].format(n=len(d["reasons"]))]
        for i, c in enumerate(d["reasons"], 1):
            place = _place_text(_as_finding(c), lang)
            found = f" ({t['value']}: {c['value']})" if c["value"] is not None else ""
            lines.append(f"  {i}. [{place}] {c[f'message_{lang}']}{found}")
            lines.append(f"     → {c[f'fix_{lang}']}")
    if d["changes_total"]:
        lines += ["", t["changes"].format(n=d["changes_total"])]
        for c in d["changes"][:CHANGES_IN_TEXT]:
            old = _value(c["old_value"], c["old_reported"], lang)
            new = _value(c["new_value"], c["new_reported"], lang)
            what = CHANGE_WORDS[lang][c["change"]]
            lines.append(f"  - {c['indicator_code']} [{c['disaggregation']}]: {old} → {new} ({what})")
        if d["changes_total"] > CHANGES_IN_TEXT:
            lines.append("  " + t["more_changes"].format(n=d["changes_total"] - CHANGES_IN_TEXT))
    if d["warnings"]:
        lines += ["", t["warnings"].format(n=len(d["warnings"]))]
        for i, w in enumerate(d["warnings"], 1):
            place = _place_text(_as_finding(w), lang)
            # the message names the values; the JSON keeps them by name for machines
            lines.append(f"  {i}. [{place}] {w[f'message_{lang}']}")
    lines += ["", f"{t['what_next']}: {d[f'what_next_{lang}']}", ""]
    return "\n".join(lines)


def _as_finding(item: dict[str, Any]) -> Finding:
    return Finding(
        "", "", column=item["column"] or "", source_sheet=item["sheet"] or "", source_row=item["row"]
    )


# -- writing -------------------------------------------------------------------------


def write_receipt(summary: ImportSummary, decided_at: dt.datetime | None = None) -> tuple[Path, Path] | None:
    """Write the receipt of one decision into its sender's outbox; None if it was there already.

    Raises ``UnknownSenderError`` (nothing written) if the summary's sender is not registered.
    """
    sender = sender_for(summary.sender)
    if summary.dry_run or not summary.sha256:
        return None
    decision = decision_of(summary)
    folder = outbox_for(sender.sender_id)
    json_path = folder / f"{summary.sha256}.{decision}.json"
    text_path = folder / f"{summary.sha256}.{decision}.txt"
    if json_path.exists() and text_path.exists():
        return None
    document = receipt_document(summary, sender, decided_at or dt.datetime.now(dt.UTC))
    write_atomically(text_path, receipt_text(document))
    write_atomically(json_path, json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")
    return json_path, text_path


def write_receipts(outcomes: list) -> list[Path]:
    """The receipts of the intake's outcomes (``ingest.FileOutcome``) that carry a decision.

    A receipt that cannot be written is logged and left to ``write_pending_receipts``: it never
    undoes or stops the intake's decisions."""
    written: list[Path] = []
    for outcome in outcomes:
        summary = getattr(outcome, "summary", None)
        if (
            summary is None
            or outcome.status not in ("loaded", "pending", "rejected", "duplicate")
            or outcome.dry_run
        ):
            continue
        try:
            paths_written = write_receipt(summary, getattr(outcome, "decided_at", None))
        except (OSError, UnknownSenderError) as error:
            log.error("receipt of %s not written (%s); the next notify run retries", outcome.file_name, error)
            continue
        written += list(paths_written or ())
    return written


def write_pending_receipts() -> list[Path]:
    """Every receipt missing for a decision recorded in the ledger (accepted or refused files).

    Only the decisions whose receipt is not in the outbox are read in full."""
    from programme_monitoring.intake import ledger

    registry, written = senders(), []
    for d in ledger.recorded_decisions():
        if d.sender not in registry:
            log.warning("no receipt for the file %s: its sender is not registered", d.sha256[:12])
            continue
        decision = {"rejected": "refused", "pending": "held"}.get(
            d.status, "accepted_with_warnings" if d.warnings else "accepted"
        )
        folder = outbox_for(d.sender)
        if (folder / f"{d.sha256}.{decision}.json").exists() and (
            folder / f"{d.sha256}.{decision}.txt"
        ).exists():
            continue
        summary, decided_at = ledger.recorded_summary(d.sha256)
        written += list(write_receipt(summary, decided_at) or ())
    return written
