"""Findings with a life, on a real PostgreSQL and dbt: reports loaded by the real intake,
the warehouse rebuilt by the real transform, decisions written as real LOGIN roles.

Kazakhstan's THB report for 2014 says convicted (THB05) 30 > prosecuted (THB04) 20 and its
victims by sex (30 + 10) miss the total (50): two findings. The first is queried by a
reviewer, explained by the sender's file, then corrected by version 2 (prosecuted 40) and
resolved automatically; version 3 brings the error back and the finding reopens. The
second stays in every version and keeps its status. Across all this, each is one finding.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from programme_monitoring import cli
from programme_monitoring.report_format.records import ReportHeader
from programme_monitoring.report_format.writer import write_report
from programme_monitoring.settings import paths
from psycopg import errors, sql

PASSWORD = "test-login-" + "y" * 12
CONVICTED = "convicted_not_above_prosecuted"
SEX_PARTS = "sex_parts_sum_to_total"


def _report(version: int, prosecuted: int) -> Path:
    """KZ THB 2014, version ``version``, through Kazakhstan's landing folder."""
    from programme_monitoring.reference import load_reference

    ref = load_reference()
    values = {
        ("THB01", "total"): 100,
        ("THB02", "total"): 50,
        ("THB02", "sex=female"): 30,
        ("THB02", "sex=male"): 10,
        ("THB04", "total"): prosecuted,
        ("THB05", "total"): 30,
    }
    for code in ref.indicators.indicator_code:
        if code in ref.reportable_indicators("THB", 2014):
            values.setdefault((code, "total"), None)
    rows = [
        {"indicator_code": c, "disaggregation": d, "value": v, "comment": ""} for (c, d), v in values.items()
    ]
    due = sorted(ref.measures_due("THB", 2014))
    measures = [{"measure_code": m, "status": "implemented", "narrative": "done"} for m in due]
    header = ReportHeader("KZ", "Test authority (SYNTHETIC)", "THB", 2014, dt.date(2015, 2, version), version)
    folder = paths().landing / "kz"
    folder.mkdir(parents=True, exist_ok=True)
    return write_report(header, rows, measures, folder / f"KZ_THB_2014_v{version}.csv", "csv")


def _load_and_build(version: int, prosecuted: int, target: Path) -> None:
    from programme_monitoring.intake.ingest import ingest_landing
    from programme_monitoring.warehouse.transform import build_warehouse

    _report(version, prosecuted)
    outcomes = ingest_landing(today=dt.date(2015, 3, 1))
    assert [o.status for o in outcomes] == ["loaded"], outcomes
    build_warehouse(target_path=target)


def q(url: str, query: str, *params) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def warehouse(own_warehouse):
    """Version 1 loaded and built, access applied; yields (url, dbt target folder)."""
    from programme_monitoring.warehouse.access import apply_access

    url, base = own_warehouse
    _load_and_build(1, prosecuted=20, target=base / "target")
    apply_access(url)
    return url, base / "target"


@pytest.fixture(scope="module")
def login(warehouse):
    """login(group) -> the URL of a fresh LOGIN user that is a member of that group only."""
    url, _ = warehouse
    created: list[str] = []

    def make(group: str | None) -> str:
        user = f"pm_test_{len(created)}_{(group or 'nobody').removeprefix('pm_')}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(user)))
            admin.execute(
                sql.SQL("create role {} login password {}").format(
                    sql.Identifier(user), sql.Literal(PASSWORD)
                )
            )
            if group:
                admin.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), sql.Identifier(user)))
        created.append(user)
        parts = urlsplit(url)
        return urlunsplit(parts._replace(netloc=f"{user}:{PASSWORD}@{parts.hostname}:{parts.port}"))

    yield make
    with psycopg.connect(url, autocommit=True) as admin:
        for user in created:
            admin.execute(sql.SQL("drop owned by {}").format(sql.Identifier(user)))
            admin.execute(sql.SQL("drop role {}").format(sql.Identifier(user)))


def finding(url: str, rule: str) -> str:
    (row,) = q(url, "select finding_id from audit.findings where state_code = 'KZ' and rule_code = %s", rule)
    return row[0]


def history(url: str, finding_id: str) -> list[tuple]:
    return q(
        url,
        "select previous_status, status, origin, decided_by from audit.finding_reviews "
        "where finding_id = %s order by review_id",
        finding_id,
    )


def run_cli(monkeypatch, url: str, *args: str) -> int:
    with monkeypatch.context() as patch:  # as that login, for this command only
        patch.setenv("WAREHOUSE_URL", url)
        return cli.main(["findings", *args])


def _counts(url: str) -> dict[str, int]:
    return dict(
        q(
            url,
            "select review_status, findings from marts.rpt_finding_status_counts "
            "where state_code = 'KZ' and programme_code = 'THB' and reporting_year = 2014",
        )
    )


def test_a_finding_raised_queried_explained_resolved_and_reopened_stays_one_finding(
    warehouse, login, monkeypatch, capsys, tmp_path
):
    url, target = warehouse
    convicted, sex_parts = finding(url, CONVICTED), finding(url, SEX_PARTS)
    (first_seen,) = q(url, "select first_seen_at from audit.findings where finding_id = %s", convicted)[0]
    reviewer = login("pm_reviewer")
    reviewer_user = urlsplit(reviewer).username

    # queried by a reviewer (the CLI, connected as the reviewer's own login)
    assert run_cli(monkeypatch, reviewer, "review", convicted, "--status", "queried") == 0
    assert run_cli(monkeypatch, reviewer, "review", sex_parts, "--status", "queried") == 0
    # explained by the sender: a file in Kazakhstan's landing folder, taken by the intake's scan
    explanation = paths().landing / "kz" / "explanations_2015-03.csv"
    explanation.write_text(
        f"номер_замечания;пояснение;исправление\n{convicted};Опечатка в THB04;THB04 = 40\n", encoding="utf-8"
    )
    from programme_monitoring.intake.ingest import ingest_landing

    assert ingest_landing(today=dt.date(2015, 3, 1)) == []
    assert not explanation.exists()
    assert [h[:3] for h in history(url, convicted)] == [
        ("open", "queried", "reviewer"),
        ("queried", "explained", "sender"),
    ]
    assert history(url, convicted)[0][3] == reviewer_user  # who connected is who decided

    # the marts carry the status after the next transform (a decision is a change to build)
    from programme_monitoring.warehouse.transform import build_warehouse

    build_warehouse(target_path=target)
    assert (
        q(
            url,
            "select distinct review_status from marts.rpt_validation_findings where finding_id = %s",
            convicted,
        )[0][0]
        == "explained"
    )
    assert _counts(url) == {"explained": 1, "queried": 1}

    # version 2 corrects prosecuted: the convicted finding is gone, resolved automatically
    _load_and_build(2, prosecuted=40, target=target)
    assert [h[1:3] for h in history(url, convicted)][-1] == ("resolved", "automatic")
    (note,) = q(
        url,
        "select note from audit.finding_reviews where finding_id = %s order by review_id desc limit 1",
        convicted,
    )[0]
    assert "версии 2" in note and "version 2" in note
    assert q(url, "select count(*) from marts.rpt_validation_findings where finding_id = %s", convicted) == [
        (0,)
    ]
    # still found after the correction: stays as it was
    assert [h[1] for h in history(url, sex_parts)] == ["queried"]
    assert q(
        url, "select present, last_report_version from audit.findings where finding_id = %s", sex_parts
    ) == [(True, 2)]
    assert q(
        url, "select present, last_report_version from audit.findings where finding_id = %s", convicted
    ) == [(False, 1)]

    # the automatic decision is a change: the next build counts the resolved finding for BI
    build_warehouse(target_path=target)
    assert _counts(url) == {"resolved": 1, "queried": 1}

    # version 3 brings the error back: the same finding reopens, its history whole
    _load_and_build(3, prosecuted=20, target=target)
    assert [h[:3] for h in history(url, convicted)] == [
        ("open", "queried", "reviewer"),
        ("queried", "explained", "sender"),
        ("explained", "resolved", "automatic"),
        ("resolved", "open", "automatic"),
    ]
    assert q(
        url,
        "select first_seen_at, present, last_report_version from audit.findings where finding_id = %s",
        convicted,
    ) == [(first_seen, True, 3)]
    assert q(
        url,
        "select distinct review_status from marts.rpt_validation_findings where finding_id = %s",
        convicted,
    ) == [("open",)]
    assert q(url, "select count(*) from audit.findings where state_code = 'KZ'") == [(2,)]
    build_warehouse(target_path=target)
    assert _counts(url) == {"open": 1, "queried": 1}

    # findings show prints the rows, both messages and the whole history
    capsys.readouterr()
    assert run_cli(monkeypatch, reviewer, "show", convicted) == 0
    shown = capsys.readouterr().out
    assert "KZ_THB_2014_v3.csv" in shown and "RU:" in shown and "EN:" in shown
    assert shown.count(" -> ") == 4 and "Опечатка в THB04" in shown
    assert run_cli(monkeypatch, reviewer, "list", "--state", "KZ", "--status", "open") == 0
    listed = capsys.readouterr().out
    assert convicted in listed and sex_parts not in listed


def _reviews(url: str) -> list[tuple]:
    return q(url, "select * from audit.finding_reviews order by review_id")


@pytest.mark.parametrize(
    ("group", "args", "ru", "en"),
    [
        ("pm_reviewer", ["0123456789abcdef", "--status", "queried"], "не найдено", "No finding"),
        ("pm_reviewer", [None, "--status", "dismissed"], "нужно примечание", "needs a note"),
        ("pm_reviewer", [None, "--status", "open"], "Недопустимый переход", "Illegal transition"),
        ("pm_reviewer", [None, "--status", "closed"], "Неизвестный статус", "Unknown status"),
        ("pm_analyst", [None, "--status", "queried"], "нет права", "may not record"),
        ("pm_auditor", [None, "--status", "queried"], "нет права", "may not record"),
    ],
)
def test_bad_review_input_is_refused_in_both_languages_and_changes_nothing(
    warehouse, login, monkeypatch, capsys, group, args, ru, en
):
    url, _ = warehouse
    args = [a if a is not None else finding(url, SEX_PARTS) for a in args]
    before = _reviews(url)
    capsys.readouterr()
    assert run_cli(monkeypatch, login(group), "review", *args) == 1
    err = capsys.readouterr().err
    assert ru in err and en in err, err
    assert _reviews(url) == before


def test_the_history_is_append_only_even_for_the_owner(warehouse):
    url, _ = warehouse
    sex_parts = finding(url, SEX_PARTS)
    before = _reviews(url)
    assert before
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in (
            "update audit.finding_reviews set note = 'changed'",
            "delete from audit.finding_reviews",
            "truncate audit.finding_reviews",
        ):
            with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)
        # a direct insert is checked like any decision: no illegal step, not even by the owner
        with pytest.raises(errors.CheckViolation, match="Illegal transition"):
            conn.execute(
                "insert into audit.finding_reviews (finding_id, status, previous_status, origin) "
                "values (%s, 'open', '', 'reviewer')",
                (sex_parts,),
            )
    assert _reviews(url) == before


def test_the_reviewer_reads_findings_and_writes_decisions_only(warehouse, login):
    url, _ = warehouse
    with psycopg.connect(login("pm_reviewer"), autocommit=True) as conn:
        assert conn.execute("select count(*) from marts.rpt_validation_findings").fetchone()[0] > 0
        assert conn.execute("select count(*) from audit.findings").fetchone()[0] == 2
        for statement in (
            "select 1 from raw.report_headers limit 1",
            "select 1 from audit.file_ledger limit 1",
            "insert into audit.finding_reviews (finding_id, status, previous_status) values ('x', 'o', '')",
            "delete from marts.rpt_validation_findings",
            "update audit.findings set present = false",
            "create table marts.intruder (x int)",
            "insert into raw.report_headers (report_id) values ('x')",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)
    with psycopg.connect(url) as conn:
        may_review = dict(
            conn.execute(
                """select rolname, has_function_privilege(rolname,
                       'audit.review_finding(text, text, text, text, text, text)', 'execute')
                   from pg_roles where rolname like 'pm\\_%%' and not rolcanlogin"""
            ).fetchall()
        )
    assert {role for role, may in may_review.items() if may} == {"pm_reviewer", "pm_loader"}


def test_explanations_only_for_the_senders_own_state_and_from_a_safe_file(
    warehouse, tmp_path, monkeypatch, capsys
):
    url, _ = warehouse
    sex_parts = finding(url, SEX_PARTS)
    before = _reviews(url)
    other_state = tmp_path / "explanations_am.csv"
    other_state.write_text(f"finding_id,explanation\n{sex_parts},not ours\n", encoding="utf-8")
    capsys.readouterr()
    assert run_cli(monkeypatch, url, "explain", str(other_state), "--sender", "am") == 1
    out = capsys.readouterr().out
    assert "другого государства" in out and "another state's report" in out
    garbled = tmp_path / "explanations_kz.csv"
    garbled.write_bytes(
        b"finding_id,explanation\n" + sex_parts.encode() + ",Ð¾Ð¿ÐµÑ\u0082Ð°\n".encode("utf-8")
    )
    assert run_cli(monkeypatch, url, "explain", str(garbled), "--sender", "kz") == 1
    assert "UTF-8" in capsys.readouterr().out
    assert run_cli(monkeypatch, url, "explain", str(other_state), "--sender", "nobody") == 1
    assert "не зарегистрирован" in capsys.readouterr().out
    assert _reviews(url) == before
