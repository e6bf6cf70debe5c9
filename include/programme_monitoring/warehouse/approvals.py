"""Data approval and period locks: every statement on ``audit.report_approvals`` and ``audit.period_locks``.

An approver (a member of ``pm_approver``) approves the version of a state's report for a
programme and year that is in force (``report_id`` = SHA-256 of its file), or revokes the
approval; each decision is a new row (who = the PostgreSQL role, when, the note), never
an update. Publishing an edition of the Council report locks its year (``lock_year``);
a version of a locked year that arrives later is stored but held (ledger status
``pending``) until an approver unlocks the year (``unlock``: every held version goes into
force and the year is open until the next edition) or releases the versions held for one
report (the year stays locked). The tables' triggers (migration 0010) stamp who and when,
refuse anyone but an approver and check what the Python side checks first, so a direct
INSERT obeys the same rules; this module turns those rules into messages in Russian and
English (``ApprovalError``) before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from programme_monitoring.reference import load_reference
from programme_monitoring.warehouse.connection import warehouse_url

MIN_PREFIX = 8  # a --version may be given as the first characters of the report id


class ApprovalError(ValueError):
    """A refused approval, revocation or unlock (nothing was written), in Russian and English."""

    def __init__(self, ru: str, en: str):
        self.ru, self.en = ru, en
        super().__init__(f"{ru} / {en}")


@dataclass(frozen=True)
class Version:
    report_id: str
    report_version: int
    status: str  # loaded (in force), superseded, pending (held: the year is locked)


def _no_right(error: psycopg.Error) -> ApprovalError:
    return ApprovalError(
        "Нет права: утверждать отчёты и снимать блокировку периода могут только члены роли "
        f"pm_approver ({error.diag.message_primary or 'доступ запрещён'}).",
        "Not allowed: only members of the role pm_approver may approve reports or unlock a period "
        f"({error.diag.message_primary or 'permission denied'}).",
    )


def _slot(state: str, programme: str, year: int) -> tuple[str, str, int]:
    """The report's key, checked against the reference data."""
    reference = load_reference()
    state, programme = state.strip().upper(), programme.strip().upper()
    if state not in reference.state_codes:
        raise ApprovalError(
            f"Неизвестное государство «{state}»: допустимы {', '.join(sorted(reference.state_codes))}.",
            f"Unknown state '{state}': expected one of {', '.join(sorted(reference.state_codes))}.",
        )
    if programme not in reference.programme_codes:
        codes = ", ".join(sorted(reference.programme_codes))
        raise ApprovalError(
            f"Неизвестная программа «{programme}»: допустимы {codes}.",
            f"Unknown programme '{programme}': expected one of {codes}.",
        )
    return state, programme, int(year)


def versions(conn: psycopg.Connection, state: str, programme: str, year: int) -> list[Version]:
    """The stored versions of one report (through a function: an approver may not read the ledger)."""
    try:
        rows = conn.execute(
            "select report_id, report_version, status from audit.report_versions(%s, %s, %s)",
            (state, programme, year),
        ).fetchall()
    except psycopg.errors.InsufficientPrivilege as error:
        raise _no_right(error) from error
    return [Version(*row) for row in rows]


def _in_force(found: list[Version], key: tuple[str, str, int], version: str | None) -> Version:
    state, programme, year = key
    current = next((v for v in found if v.status == "loaded"), None)
    if current is None:
        raise ApprovalError(
            f"Отчёта {state} {programme} за {year} год нет в хранилище"
            + (" (есть только версия, задержанная блокировкой периода)." if found else "."),
            f"There is no {state} {programme} {year} report in the warehouse"
            + (" (only a version held by the period lock)." if found else "."),
        )
    if version is None:
        return current
    wanted = version.strip().lower()
    matching = [v for v in found if len(wanted) >= MIN_PREFIX and v.report_id.startswith(wanted)]
    if not matching:
        raise ApprovalError(
            f"У отчёта {state} {programme} {year} нет версии «{version}» (укажите идентификатор отчёта, "
            f"SHA-256 файла, не менее {MIN_PREFIX} знаков).",
            f"The {state} {programme} {year} report has no version '{version}' (give the report id, "
            f"the file's SHA-256, at least {MIN_PREFIX} characters).",
        )
    if matching[0] != current:
        chosen = matching[0]
        raise ApprovalError(
            f"Версия {chosen.report_version} ({chosen.report_id[:12]}…) отчёта {state} {programme} {year} "
            f"не действует: действует версия {current.report_version} ({current.report_id[:12]}…). "
            "Утвердить можно только действующую версию.",
            f"Version {chosen.report_version} ({chosen.report_id[:12]}...) of the {state} {programme} {year} "
            f"report is not the one in force: version {current.report_version} "
            f"({current.report_id[:12]}...) is. Only the version in force can be approved.",
        )
    return current


def _note(note: str, what_ru: str, what_en: str) -> str:
    if not note or not note.strip():
        raise ApprovalError(f"Укажите {what_ru} (--note / --reason).", f"Give {what_en} (--note / --reason).")
    return note.strip()


def _refusal(code: str, key: tuple, version: Version | None = None) -> ApprovalError:
    state, programme, year = key[:3]
    texts = {
        "already_approved": (
            f"Версия {version and version.report_version} отчёта {state} {programme} {year} уже утверждена.",
            f"Version {version and version.report_version} of the {state} {programme} {year} report is "
            "already approved.",
        ),
        "not_approved": (
            f"У отчёта {state} {programme} {year} нет действующего утверждения: отзывать нечего.",
            f"The {state} {programme} {year} report has no approval in force: nothing to revoke.",
        ),
        "not_locked": (
            f"{year} год не заблокирован: снимать блокировку нечего.",
            f"{year} is not locked: there is nothing to unlock.",
        ),
        "nothing_held": (
            f"Для отчёта {state} {programme} {year} нет версий, задержанных блокировкой периода.",
            f"No version of the {state} {programme} {year} report is held by the period lock.",
        ),
    }
    ru, en = texts.get(code, (f"Отказано ({code}).", f"Refused ({code})."))
    return ApprovalError(ru, en)


def _insert(conn: psycopg.Connection, statement: str, values: tuple, key: tuple, version=None) -> None:
    try:
        conn.execute(statement, values)
    except psycopg.errors.InsufficientPrivilege as error:
        raise _no_right(error) from error
    except psycopg.errors.CheckViolation as error:  # the triggers' own check (a race since ours)
        raise _refusal(error.diag.message_hint or "", key, version) from error


def approve(
    state: str, programme: str, year: int, note: str, version: str | None = None, url: str | None = None
) -> Version:
    """Approve the version in force (``version``: its report id, or a prefix, must be that one)."""
    key = _slot(state, programme, year)
    note = _note(note, "примечание к утверждению", "a note for the approval")
    with psycopg.connect(url or warehouse_url()) as conn, conn.transaction():
        chosen = _in_force(versions(conn, *key), key, version)
        refusal = conn.execute(
            "select audit.check_approval('approve', %s, %s, %s, %s)", (*key, chosen.report_id)
        ).fetchone()[0]
        if refusal:
            raise _refusal(refusal, key, chosen)
        _insert(
            conn,
            """insert into audit.report_approvals
                   (state_code, programme_code, reporting_year, report_id, action, note)
               values (%s, %s, %s, %s, 'approve', %s)""",
            (*key, chosen.report_id, note),
            key,
            chosen,
        )
    return chosen


def revoke(state: str, programme: str, year: int, note: str, url: str | None = None) -> str:
    """Revoke the approval in force of a report; returns the report id that was approved."""
    key = _slot(state, programme, year)
    note = _note(note, "причину отзыва", "a reason for the revocation")
    with psycopg.connect(url or warehouse_url()) as conn, conn.transaction():
        versions(conn, *key)  # an approver's right, checked first
        try:
            approved = conn.execute(
                """select case when action = 'approve' then report_id end from audit.report_approvals
                   where state_code = %s and programme_code = %s and reporting_year = %s
                   order by event_id desc limit 1""",
                key,
            ).fetchone()
        except psycopg.errors.InsufficientPrivilege as error:
            raise _no_right(error) from error
        if not approved or not approved[0]:
            raise _refusal("not_approved", key)
        _insert(
            conn,
            """insert into audit.report_approvals
                   (state_code, programme_code, reporting_year, report_id, action, note)
               values (%s, %s, %s, %s, 'revoke', %s)""",
            (*key, approved[0], note),
            key,
        )
    return approved[0]


def unlock(
    year: int, reason: str, state: str | None = None, programme: str | None = None, url: str | None = None
) -> list[str]:
    """Unlock a year (every held version goes into force; the year is open until the next
    edition locks it) or, with ``state`` and ``programme``, release that report's held
    versions only. Returns the report ids put in force."""
    reason = _note(reason, "причину снятия блокировки", "a reason for the unlock")
    if (state is None) != (programme is None):
        raise ApprovalError(
            "Для одного отчёта укажите и государство, и программу.",
            "For one report give both the state and the programme.",
        )
    key = _slot(state, programme, year) if state else (None, None, int(year))
    action = "release" if state else "unlock"
    with psycopg.connect(url or warehouse_url()) as conn, conn.transaction():
        try:
            refusal = conn.execute(
                "select audit.check_period_event(%s, %s, %s, %s)", (action, key[2], key[0], key[1])
            ).fetchone()[0]
            held = conn.execute(
                """select report_id from audit.report_versions(%s, %s, %s) where status = 'pending'""",
                key,
            ).fetchall() if state else []  # fmt: skip
        except psycopg.errors.InsufficientPrivilege as error:
            raise _no_right(error) from error
        if refusal:
            raise _refusal(refusal, (key[0], key[1], key[2]))
        _insert(
            conn,
            """insert into audit.period_locks (reporting_year, action, state_code, programme_code, reason)
               values (%s, %s, %s, %s, %s) returning event_id""",
            (key[2], action, key[0], key[1], reason),
            (key[0], key[1], key[2]),
        )
    return [r[0] for r in held]


def lock_year(conn: psycopg.Connection, year: int, edition: str) -> None:
    """Record that publishing ``edition`` (its generation time) locked ``year``, in ``conn``'s transaction."""
    conn.execute(
        "insert into audit.period_locks (reporting_year, action, edition) values (%s, 'lock', %s)",
        (year, edition),
    )


def year_locks(conn: psycopg.Connection, year: int) -> list[dict]:
    """The lock history of a year, oldest first."""
    cursor = conn.execute(
        """select event_id, action, edition, state_code, programme_code, reason, decided_by, decided_at
           from audit.period_locks where reporting_year = %s order by event_id""",
        (year,),
    )
    columns = [c.name for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def list_approvals(year: int | None = None, url: str | None = None) -> list[dict]:
    """Every approval decision (and lock event), oldest first; ``year`` limits both to that year."""
    with psycopg.connect(url or warehouse_url()) as conn:
        try:
            cursor = conn.execute(
                """select 'approval' as kind, reporting_year, state_code, programme_code, action,
                          report_id, note, decided_by, decided_at, event_id
                   from audit.report_approvals where %(year)s::integer is null or reporting_year = %(year)s
                   union all
                   select 'period', reporting_year, state_code, programme_code, action, edition, reason,
                          decided_by, decided_at, event_id
                   from audit.period_locks where %(year)s::integer is null or reporting_year = %(year)s
                   order by decided_at, kind, event_id""",
                {"year": year},
            )
        except psycopg.errors.InsufficientPrivilege as error:
            raise _no_right(error) from error
        columns = [c.name for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
