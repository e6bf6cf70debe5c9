"""Reading findings and writing review decisions, for the CLI (``findings list|show|review``).

A decision is written by ``audit.review_finding()`` (migration 0008), which PostgreSQL
checks: the finding exists, the status is known, the step from the current status is
legal (seed ``finding_status_transitions``) and a note is there where the status needs
one. The acting person is the login role of the connection (decided_by = session_user):
who connects is who decides, and a role without EXECUTE on the function (anyone but
``pm_reviewer`` and ``pm_loader``) is refused. Any refusal leaves nothing written and
comes back as ``ReviewRefused`` with its reason in Russian and English.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg.rows import dict_row

from programme_monitoring.warehouse.connection import warehouse_url

STATUSES = ("open", "queried", "explained", "confirmed_error", "resolved", "dismissed")


class ReviewRefused(ValueError):
    """A decision PostgreSQL (or the check before it) refused; str() is the reason in RU / EN."""


@dataclass
class FindingDetail:
    register: dict
    status: str
    rows: list[dict] = field(default_factory=list)  # its rows in the published review list
    history: list[dict] = field(default_factory=list)


_LIST = """
    select f.finding_id, f.state_code, f.programme_code, f.reporting_year, f.rule_code,
           f.indicator_code, f.disaggregation, f.present, f.last_report_version,
           audit.finding_status(f.finding_id) as status, f.message_ru, f.message_en
    from audit.findings as f
    where (%(year)s::integer is null or f.reporting_year = %(year)s)
      and (%(state)s::text is null or f.state_code = %(state)s)
      and (%(programme)s::text is null or f.programme_code = %(programme)s)
      and (%(rule)s::text is null or f.rule_code = %(rule)s)
"""


def list_findings(
    *,
    year: int | None = None,
    state: str | None = None,
    programme: str | None = None,
    status: str | None = None,
    rule: str | None = None,
    url: str | None = None,
) -> list[dict]:
    """Every finding of the register (present or not), with its current status, filtered."""
    params = {"year": year, "state": state, "programme": programme, "rule": rule}
    with psycopg.connect(url or warehouse_url(), row_factory=dict_row) as conn:
        rows = conn.execute(_LIST + " order by 4, 2, 3, 5, 6, 7, 1", params).fetchall()
    return [r for r in rows if status is None or r["status"] == status]


def show_finding(finding_id: str, url: str | None = None) -> FindingDetail:
    """The finding's register row, its rows in the marts (values, messages) and full history."""
    with psycopg.connect(url or warehouse_url(), row_factory=dict_row) as conn:
        register = conn.execute(
            "select * from audit.findings where finding_id = %s", (finding_id,)
        ).fetchone()
        if register is None:
            raise ReviewRefused(unknown_finding(finding_id))
        status = conn.execute("select audit.finding_status(%s) as s", (finding_id,)).fetchone()["s"]
        history = conn.execute(
            """select review_id, previous_status, status, decided_at, decided_by, origin, sender,
                      source_file, note
               from audit.finding_reviews where finding_id = %s order by review_id""",
            (finding_id,),
        ).fetchall()
        rows: list[dict] = []
        if (
            conn.execute("select has_schema_privilege('marts', 'usage')").fetchone()["has_schema_privilege"]
            and conn.execute(
                "select to_regclass('marts.rpt_validation_findings') is not null as e"
            ).fetchone()["e"]
        ):
            rows = conn.execute(
                """select origin, severity, source_file, source_sheet, source_row, left_value,
                          operator, right_value, values_involved, message_ru, message_en
                   from marts.rpt_validation_findings where finding_id = %s
                   order by source_sheet, source_row""",
                (finding_id,),
            ).fetchall()
    return FindingDetail(register, status, rows, history)


def unknown_finding(finding_id: str) -> str:
    return f"Замечание {finding_id} не найдено. / No finding {finding_id}."


def review_finding(
    finding_id: str,
    status: str,
    note: str | None,
    *,
    origin: str = "reviewer",
    sender: str | None = None,
    source_file: str | None = None,
    url: str | None = None,
    conn: psycopg.Connection | None = None,
) -> int:
    """Record a decision; return its review_id. ``ReviewRefused`` (nothing written) if refused."""
    if status not in STATUSES:
        raise ReviewRefused(
            f"Неизвестный статус «{status}»; допустимы: {', '.join(STATUSES)}. / "
            f'Unknown status "{status}"; allowed: {", ".join(STATUSES)}.'
        )
    if conn is not None:
        return _write(conn, finding_id, status, note, origin, sender, source_file)
    with psycopg.connect(url or warehouse_url()) as own:
        return _write(own, finding_id, status, note, origin, sender, source_file)


def _write(conn, finding_id, status, note, origin, sender, source_file) -> int:
    try:
        with conn.transaction():
            (review_id,) = conn.execute(
                "select audit.review_finding(%s, %s, %s, %s, %s, %s)",
                (finding_id, status, note, origin, sender, source_file),
            ).fetchone()
    except psycopg.errors.InsufficientPrivilege as error:
        who = conn.info.user
        raise ReviewRefused(
            f"У роли {who} нет права записывать решения по замечаниям (нужна роль pm_reviewer). / "
            f"The role {who} may not record review decisions (it needs pm_reviewer)."
        ) from error
    except (psycopg.errors.RaiseException, psycopg.errors.IntegrityError) as error:
        raise ReviewRefused(error.diag.message_primary or str(error)) from error
    except psycopg.errors.ObjectNotInPrerequisiteState as error:
        raise ReviewRefused(error.diag.message_primary or str(error)) from error
    return review_id


# -- as the CLI prints them -------------------------------------------------------------------


def list_text(rows: list[dict]) -> str:
    """One line per finding: id, state, programme, year, rule, indicator, breakdown, status."""
    if not rows:
        return "Замечаний нет. / No findings."
    lines = [f"{'finding_id':<16}  st prog year  {'rule':<32} {'indicator':<10} {'breakdown':<14} status"]
    for r in rows:
        gone = "" if r["present"] else "  (нет в витринах / not in the marts)"
        lines.append(
            f"{r['finding_id']:<16}  {r['state_code']:<2} {r['programme_code']:<4} {r['reporting_year']}  "
            f"{r['rule_code']:<32} {r['indicator_code'] or '-':<10} {r['disaggregation'] or '-':<14} "
            f"{r['status']}{gone}"
        )
    lines.append(f"{len(rows)} замечаний / findings")
    return "\n".join(lines)


def detail_text(detail: FindingDetail) -> str:
    f = detail.register
    lines = [
        f"Замечание / Finding {f['finding_id']}: "
        f"{f['state_code']} {f['programme_code']} {f['reporting_year']}, "
        f"{f['rule_code']}, {f['indicator_code'] or '-'} {f['disaggregation'] or ''}".rstrip(),
        f"  статус / status: {detail.status}",
        f"  впервые / first seen: {f['first_seen_at']:%Y-%m-%d %H:%M} (v{f['first_report_version']}); "
        f"последний раз / last seen: {f['last_seen_at']:%Y-%m-%d %H:%M} (v{f['last_report_version']})"
        + ("" if f["present"] else "; нет в витринах / no longer in the marts"),
        f"  RU: {f['message_ru']}",
        f"  EN: {f['message_en']}",
    ]
    if detail.rows:
        lines.append("  Строки / Rows:")
        for r in detail.rows:
            values = (
                f"{r['left_value']} {r['operator']} {r['right_value']}"
                if r["operator"]
                else r["values_involved"]
            )
            place = f"{r['source_file']} {r['source_sheet'] or ''} {r['source_row'] or ''}".strip()
            lines.append(f"    [{r['origin']}, {r['severity']}] {place}: {values}")
    lines.append(
        "  История / History:" if detail.history else "  История / History: решений нет / no decisions"
    )
    for h in detail.history:
        source = (
            h["origin"]
            + (f" {h['sender']}" if h["sender"] else "")
            + (f" ({h['source_file']})" if h["source_file"] else "")
        )
        lines.append(
            f"    {h['decided_at']:%Y-%m-%d %H:%M:%S} {h['previous_status']} -> {h['status']} "
            f"by {h['decided_by']} [{source}]" + (f": {h['note']}" if h["note"] else "")
        )
    return "\n".join(lines)
