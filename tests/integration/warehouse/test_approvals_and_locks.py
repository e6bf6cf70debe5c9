"""Data approval and period locks on a real warehouse: real intake, real dbt builds, real editions.

A published edition of the Council report locks its year: a correction that arrives later
is stored but held (ledger ``pending``), the marts keep the old figure until an approver
unlocks the year, then take the new one, and the next edition lists what changed after
the lock. An approved-versions edition counts the approved version even when a newer one
is loaded and names the reports not approved. Bad approvals and unlocks change nothing.
"""

from __future__ import annotations

import datetime as dt
import json

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

PASSWORD = "approver-" + "x" * 16


def _values(thb01: int) -> list[tuple]:
    """Every indicator THB carries in 2014-2018; THB01 as given."""
    return [("THB01", "total", thb01), ("THB02", "total", 50), ("THB02", "sex=female", 30),
            ("THB02", "sex=male", 20), ("THB04", "total", 40), ("THB05", "total", 30),
            ("THB06", "total", 12), ("TRN01", "total", None), ("TRN02", "total", None)]  # fmt: skip


def write(path, version: int, values, *, state: str = "KZ", year: int = 2014, submitted=None):
    """A whole THB report file (every measure due), as a state sends it."""
    from programme_monitoring.reference import load_reference
    from programme_monitoring.report_format.records import ReportHeader
    from programme_monitoring.report_format.writer import write_report

    header = ReportHeader(
        state, "Test authority (SYNTHETIC)", "THB", year, submitted or dt.date(year + 1, 2, 1), version
    )
    rows = [{"indicator_code": c, "disaggregation": d, "value": v, "comment": ""} for c, d, v in values]
    due = [
        {"measure_code": code, "status": "implemented", "narrative": "done"}
        for code in sorted(load_reference().measures_due("THB", year))
    ]
    return write_report(header, rows, due, path, "xlsx")


@pytest.fixture(scope="module")
def warehouse(own_warehouse):
    """(url, folder, login(role) -> the URL of a fresh LOGIN member of that group role)."""
    from programme_monitoring.warehouse.access import apply_access

    url, base = own_warehouse
    apply_access(url)
    made = []

    def login(*groups: str) -> str:
        user = f"pm_test_{len(made)}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("create role {} login password {}").format(
                    sql.Identifier(user), sql.Literal(PASSWORD)
                )
            )
            for group in groups:
                admin.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), sql.Identifier(user)))
        made.append(user)
        return make_conninfo(url, user=user, password=PASSWORD)

    return url, base, login


def _ingest(path, sender: str = "secretariat"):
    from programme_monitoring.intake.ingest import ingest_files

    (outcome,) = ingest_files([path], today=dt.date(2020, 1, 1), sender=sender)
    return outcome


def _build(base, **kwargs):
    from programme_monitoring.warehouse.transform import build_warehouse

    build_warehouse(target_path=base / ("target_approved" if kwargs else "target"), **kwargs)


def _q(url: str, query: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def _thb01(url: str, year: int, schema: str = "marts", state: str = "KZ"):
    rows = _q(
        url,
        f"""select value from {schema}.fct_indicator_values where state_code = %s and programme_code = 'THB'
            and reporting_year = %s and indicator_code = 'THB01' and disaggregation = 'total'""",
        state,
        year,
    )
    return rows[0][0] if rows else None


def _history(url: str):
    """Everything an approval or unlock may change."""
    return (
        _q(url, "select * from audit.report_approvals order by event_id"),
        _q(url, "select * from audit.period_locks order by event_id"),
        _q(url, "select file_sha256, status, superseded_by, released_at from audit.file_ledger order by 1"),
    )


def test_a_locked_year_holds_a_correction_until_an_approver_unlocks_it(warehouse, tmp_path):
    from programme_monitoring.publishing.council.editions import write_council_report
    from programme_monitoring.warehouse import approvals
    from programme_monitoring.warehouse.access import ANALYST, APPROVER

    url, base, login = warehouse
    first = _ingest(write(tmp_path / "kz-thb-2014-v1.xlsx", 1, _values(100)))
    assert first.status == "loaded"
    _build(base)
    assert _thb01(url, 2014) == 100

    # Publishing an edition locks its year: year, edition, when and by whom are recorded.
    edition = write_council_report(2014, languages=("en",), output_dir=base / "council_2014", publish=True)
    ((year, action, locked_edition, by),) = _q(
        url, "select reporting_year, action, edition, decided_by from audit.period_locks"
    )
    assert (year, action, locked_edition) == (2014, "lock", edition.generated_at) and by
    assert json.loads(edition.files["edition.json"].read_text(encoding="utf-8"))["published"] is True

    # A correction of the locked year is stored (ledger, raw rows, archive) but held.
    held = _ingest(write(tmp_path / "kz-thb-2014-v2.xlsx", 2, _values(150), submitted=dt.date(2015, 3, 1)))
    assert held.status == "pending"
    assert "2014 is locked" in held.reasons[0] and "2014 заблокирован" in held.reasons[0]
    summary = held.summary.text()
    assert "HELD: stored, but not in force" in summary and "ЗАДЕРЖАН: сохранён, но не действует" in summary
    assert "Correction of version 1" in summary and "stays in force until this one is unlocked" in summary
    ledger = dict(_q(url, "select report_version, status from audit.file_ledger"))
    assert ledger == {1: "loaded", 2: "pending"}
    # The sender hears it: a receipt "held" in its outbox, saying the year is locked.
    from programme_monitoring.settings import paths

    (receipt,) = paths().outbox.rglob(f"{held.sha256}.held.txt")
    text = receipt.read_text("utf-8")
    assert receipt.parent.name == "secretariat" and "HELD: the reporting year is locked" in text
    assert "version 1 stays in force until the lock is lifted" in text and "superseded" not in text
    assert _q(url, "select count(*) from raw.indicator_values where report_id = %s", held.sha256)[0][0] > 0
    _build(base)
    assert _thb01(url, 2014) == 100  # the marts keep the figure the edition published
    assert _q(url, "select held_versions from marts.rpt_report_approvals where reporting_year = 2014") == [
        (1,)
    ]

    # Bad unlocks are refused in both languages and change nothing.
    approver, analyst = login(APPROVER), login(ANALYST)
    before = _history(url)
    for call, words in (
        (lambda: approvals.unlock(2015, "no lock", url=approver), "2015 is not locked"),
        (lambda: approvals.unlock(2014, "  ", url=approver), "Give a reason"),
        (lambda: approvals.unlock(2014, "why", state="KZ", url=approver), "both the state and the programme"),
        (lambda: approvals.unlock(2014, "why", "RU", "THB", url=approver), "No version of the RU THB 2014"),
        (lambda: approvals.unlock(2014, "why", "XX", "THB", url=approver), "Unknown state 'XX'"),
        (lambda: approvals.unlock(2014, "not mine", url=analyst), "pm_approver"),
    ):
        with pytest.raises(approvals.ApprovalError) as refused:
            call()
        assert words in refused.value.en and refused.value.ru
        assert _history(url) == before

    # The approver unlocks the year with a reason: the held version goes into force.
    approvals.unlock(2014, "Correction accepted by the Secretariat", url=approver)
    ledger = dict(_q(url, "select report_version, status from audit.file_ledger"))
    assert ledger == {1: "superseded", 2: "loaded"}
    (unlock,) = _q(url, "select action, reason, decided_by from audit.period_locks where action = 'unlock'")
    assert unlock == ("unlock", "Correction accepted by the Secretariat", "pm_test_0")
    _build(base)
    assert _thb01(url, 2014) == 150

    # The next edition lists what changed after the lock, in both languages.
    again = write_council_report(2014, output_dir=base / "council_2014")
    rows = again.sections["after_lock"].records()
    assert [(r["indicator_code"], r["old_value"], r["new_value"]) for r in rows] == [("THB01", 100, 150)]
    english = again.files["en.html"].read_text(encoding="utf-8")
    russian = again.files["ru.html"].read_text(encoding="utf-8")
    assert (
        "Changes after the year was locked" in english
        and "Corrections put in force after the lock" in english
    )
    assert "Изменения после блокировки года" in russian and "После блокировки вступили в силу" in russian
    assert (
        not again.published and len(_q(url, "select 1 from audit.period_locks")) == 2
    )  # a draft locks nothing


def test_an_approved_versions_edition_counts_the_approved_version_and_names_the_rest(
    warehouse, tmp_path, capsys
):
    from programme_monitoring.cli import main
    from programme_monitoring.publishing.council.editions import write_council_report
    from programme_monitoring.warehouse import approvals
    from programme_monitoring.warehouse.access import APPROVER, AUDITOR, LOADER

    url, base, login = warehouse
    approver = login(APPROVER)
    v1 = _ingest(write(tmp_path / "kz-thb-2015-v1.xlsx", 1, _values(200), year=2015))
    assert (
        _ingest(write(tmp_path / "ru-thb-2015-v1.xlsx", 1, _values(70), state="RU", year=2015)).status
        == "loaded"
    )
    approved = approvals.approve("kz", "thb", 2015, "Checked against the ministry's letter", url=approver)
    assert approved.report_id == v1.sha256
    v2 = _ingest(
        write(tmp_path / "kz-thb-2015-v2.xlsx", 2, _values(250), year=2015, submitted=dt.date(2016, 3, 1))
    )
    assert v2.status == "loaded"  # 2015 is not locked

    # Bad approvals: a clear error in both languages, nothing written.
    before = _history(url)
    for call, words in (
        (lambda: approvals.approve("XX", "THB", 2015, "n", url=approver), "Unknown state 'XX'"),
        (lambda: approvals.approve("KZ", "ZZZ", 2015, "n", url=approver), "Unknown programme 'ZZZ'"),
        (lambda: approvals.approve("KZ", "THB", 2016, "n", url=approver), "There is no KZ THB 2016 report"),
        (lambda: approvals.approve("KZ", "THB", 2015, "n", v1.sha256, url=approver), "not the one in force"),
        (lambda: approvals.approve("KZ", "THB", 2015, "n", "0" * 64, url=approver), "has no version"),
        (lambda: approvals.approve("KZ", "THB", 2015, "", url=approver), "Give a note"),
        (lambda: approvals.revoke("RU", "THB", 2015, "n", url=approver), "no approval in force"),
        (lambda: approvals.approve("KZ", "THB", 2015, "n", url=login(LOADER)), "pm_approver"),
        (lambda: approvals.approve("KZ", "THB", 2015, "n", url=login(AUDITOR)), "pm_approver"),
    ):
        with pytest.raises(approvals.ApprovalError) as refused:
            call()
        assert words in refused.value.en and refused.value.ru, refused.value.en
        assert _history(url) == before
    assert main(["approve", "XX", "THB", "2015", "--note", "n"]) == 1
    err = capsys.readouterr().err
    assert "Неизвестное государство «XX»" in err and "Unknown state 'XX'" in err and "Traceback" not in err
    assert _history(url) == before

    _build(base)
    _build(base, approved_only=True)
    assert _thb01(url, 2015) == 250  # the live marts: the newest version
    assert _thb01(url, 2015, "marts_approved") == 200  # approved versions only: v1
    assert _thb01(url, 2015, "marts_approved", state="RU") is None  # not approved: left out
    edition = write_council_report(2015, output_dir=base / "council_2015", approved_only=True)
    english = edition.files["en.html"].read_text(encoding="utf-8")
    russian = edition.files["ru.html"].read_text(encoding="utf-8")
    assert "This edition counts approved report versions only" in english
    assert "Not yet approved (left out of the figures): Russian Federation" in english
    assert "A version newer than the approved one was received" in english and "Kazakhstan" in english
    assert "Ещё не утверждены (в показатели не включены): Российская Федерация" in russian
    assert "Поступила версия новее утверждённой" in russian
    stored = json.loads(edition.files["edition.json"].read_text(encoding="utf-8"))
    assert stored["approved_only"] is True and stored["published"] is False
    assert not _q(url, "select 1 from audit.period_locks where reporting_year = 2015")
