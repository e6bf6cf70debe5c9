"""The Council report on approval and period locks, in the reader's language.

Two closing parts of an edition, each from the edition's own sections:

- an edition of approved versions only (``approved_only``, built from ``marts_approved``)
  says so, and names from ``rpt_report_approvals`` the reports of the year not approved
  yet (left out of the figures) and those whose newest version is not the approved one
  (the approved version is counted);
- an edition of a year that an earlier published edition locked lists what changed after
  that lock (section ``after_lock``: ``rpt_revisions`` rows put in force since, i.e. the
  corrections an approver released), and the reports whose versions are still held.
"""

from __future__ import annotations

from programme_monitoring.publishing import formatting
from programme_monitoring.publishing.council.queries import MartData

TEXT = {
    "ru": {
        "approval": "Утверждение отчётов",
        "approved_only": (
            "В этом издании учтены только утверждённые версии отчётов государств: по каждому отчёту — "
            "версия, утверждённая уполномоченным сотрудником, а не последняя поступившая; отчёты без "
            "утверждения в показатели не включены."
        ),
        "not_approved": "Ещё не утверждены (в показатели не включены): {reports}.",
        "newer": "Поступила версия новее утверждённой (учтена утверждённая версия): {reports}.",
        "all_approved": "Все отчёты за год утверждены в последней версии.",
        "after_lock": "Изменения после блокировки года",
        "after_lock_intro": (
            "{year} год заблокирован изданием, опубликованным {locked}; поступившие позже версии "
            "отчётов задерживаются до снятия блокировки утверждающим. После блокировки вступили в силу "
            "следующие исправления:"
        ),
        "after_lock_none": "После блокировки {locked} показатели за год не изменялись.",
        "held": "Задержаны блокировкой и не учтены (ожидают снятия блокировки): {reports}.",
        "columns": ["Государство", "Программа", "Показатель", "Разбивка", "Было", "Стало"],
        "versions": {"one": "{n} версия", "few": "{n} версии", "many": "{n} версий", "other": "{n} версии"},
    },
    "en": {
        "approval": "Approval of reports",
        "approved_only": (
            "This edition counts approved report versions only: of each state's report, the version "
            "an approver approved, not the latest received; reports without an approval are left out "
            "of the figures."
        ),
        "not_approved": "Not yet approved (left out of the figures): {reports}.",
        "newer": "A version newer than the approved one was received (the approved version is counted): "
        "{reports}.",
        "all_approved": "Every report for the year is approved in its latest version.",
        "after_lock": "Changes after the year was locked",
        "after_lock_intro": (
            "{year} was locked by the edition published on {locked}; report versions received later are "
            "held until an approver unlocks them. Corrections put in force after the lock:"
        ),
        "after_lock_none": "No figure for the year changed after the lock of {locked}.",
        "held": "Held by the lock and not counted (awaiting an unlock): {reports}.",
        "columns": ["State", "Programme", "Indicator", "Breakdown", "Was", "Now"],
        "versions": {"one": "{n} version", "other": "{n} versions"},
    },
}


def _report(data: MartData, r: dict, lang: str) -> str:
    from programme_monitoring.publishing.council.render import programme_short

    return f"{data.name('state', r['state_code'], lang)} ({programme_short(r['programme_code'], lang)})"


def approval(data: MartData, lang: str) -> dict | None:
    """The approval part of an approved-versions edition (None for an ordinary edition)."""
    if not data.approved_only:
        return None
    t = TEXT[lang]
    records = data.sections["approvals"].records()
    missing = [_report(data, r, lang) for r in records if r["approval_status"] == "not_approved"]
    newer = [_report(data, r, lang) for r in records if r["approval_status"] == "newer_version_not_approved"]
    lines = [t["not_approved"].format(reports="; ".join(missing))] if missing else []
    lines += [t["newer"].format(reports="; ".join(newer))] if newer else []
    return {"t": t, "intro": t["approved_only"], "lines": lines or [t["all_approved"]]}


def after_lock(data: MartData, year: int, lang: str) -> dict | None:
    """What changed after the year was locked (None if no edition ever locked it)."""
    if data.last_lock is None or "after_lock" not in data.sections:
        return None
    from programme_monitoring.publishing.council.render import breakdown, cell, plural, programme_short

    t = TEXT[lang]
    locked = formatting.timestamp(data.last_lock, lang)
    rows = [
        [
            data.name("state", r["state_code"], lang),
            programme_short(r["programme_code"], lang),
            data.name("indicator", r["indicator_code"], lang),
            breakdown(r["disaggregation"], lang),
            cell(r["old_value"] if r["old_is_reported"] else None, lang),
            cell(r["new_value"] if r["new_is_reported"] else None, lang),
        ]
        for r in data.sections["after_lock"].records()
    ]
    held = "; ".join(
        f"{_report(data, r, lang)}, {plural(t['versions'], r['held_versions'], lang)}" for r in data.held
    )
    return {
        "t": t,
        "intro": t["after_lock_intro"].format(year=formatting.year(year), locked=locked)
        if rows
        else t["after_lock_none"].format(locked=locked),
        "rows": rows,
        "held": t["held"].format(reports=held) if held else "",
    }
