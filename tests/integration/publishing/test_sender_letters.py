"""Query letters and reminders to senders, from real marts: the demo's sample reports taken in
by the real intake into a PostgreSQL of this module's own, the marts built by dbt.

A letter lists the state's findings of ``marts.rpt_validation_findings`` with their
values, in Russian and English, as PDF and XLSX; its number is stable when nothing new is
found; reminders go only for reports due soon and not received, once.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re

import psycopg
import pytest
from pdf_text import pdf_text
from programme_monitoring.settings import paths

ISSUED = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def marts(own_warehouse, run_dbt_in_process):
    from programme_monitoring.dev.samples import generate_samples
    from programme_monitoring.intake.ingest import ingest_landing

    url, base = own_warehouse
    manifest = generate_samples(paths().landing)
    manifest.good[0].unlink()  # one report never arrives: its reminder is due before its deadline
    ingest_landing(today=dt.date(2021, 1, 1))
    result = run_dbt_in_process("build", "--exclude", "resource_type:test", "resource_type:unit_test")
    assert result.exception is None and result.success, result.exception
    from programme_monitoring.warehouse.findings_register import sync_register

    with psycopg.connect(url) as conn:  # as the transform's publication does
        sync_register(conn)
    return url


def q(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def letters(marts):
    from programme_monitoring.publishing.letters.queries import issue_query_letters

    return issue_query_letters(today=ISSUED)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_each_state_with_findings_gets_one_letter_listing_them_all(marts, letters):
    from programme_monitoring.reference import senders

    by_state = {s.state_code: s.sender_id for s in senders().values() if s.state_code}
    expected = {
        state: sorted(ids)
        for state, ids in _group(q(marts, "select state_code, finding_id from marts.rpt_validation_findings"))
    }
    assert expected  # the samples raise findings
    assert {
        letter.state_code: sorted(i["finding_id"] for i in letter.items) for letter in letters
    } == expected
    for letter in letters:
        assert letter.sender_id == by_state[letter.state_code] and letter.new
        assert re.fullmatch(rf"EC-Q-2026-{letter.state_code}-0001", letter.number)
        assert [i["item_number"] for i in letter.items] == list(range(1, len(letter.items) + 1))
        # in its sender's outbox only
        assert letter.files["pdf"].parent == paths().outbox / letter.sender_id
    found = {p.name for p in paths().outbox.rglob("EC-Q-*")}
    assert found == {f"{letter.number}.{ext}" for letter in letters for ext in ("pdf", "xlsx")}
    # Each finding asked about is now queried, the letter's number in the decision's note.
    queried = dict(q(marts, "select finding_id, note from audit.finding_reviews where status = 'queried'"))
    for letter in letters:
        for item in letter.items:
            assert letter.number in queried[item["finding_id"]]


def _group(rows):
    grouped: dict[str, list[str]] = {}
    for state, finding_id in rows:
        grouped.setdefault(state, []).append(finding_id)
    return grouped.items()


def test_the_pdf_carries_every_item_in_russian_and_in_english(letters):
    from programme_monitoring.publishing.council.render import finding_text

    for letter in letters:
        text = pdf_text(letter.files["pdf"])
        squeezed = _squeezed(text)
        assert "Запрос по замечаниям к отчётности" in text and "Query on findings in your reports" in text
        assert squeezed.count(letter.number) >= 2
        for item in letter.items:
            assert squeezed.count(item["finding_id"]) >= 2  # once in each language
            assert _squeezed(finding_text(item, "ru")) in squeezed
            assert _squeezed(finding_text(item, "en")) in squeezed
        assert text.index("Запрос по замечаниям") < text.index("Query on findings")


def test_the_xlsx_cells_equal_the_mart_s_values(marts, letters):
    from openpyxl import load_workbook

    for letter in letters:
        sheet = load_workbook(letter.files["xlsx"]).active
        rows = list(sheet.iter_rows(values_only=True))
        header_row = next(i for i, r in enumerate(rows) if r[0] == "№ / No.")
        header, body = rows[header_row], rows[header_row + 1 :]
        assert len(body) == len(letter.items)
        col = {name.split(" / ")[-1]: i for i, name in enumerate(header)}
        for cells in body:
            (mart,) = [
                r
                for r in q(
                    marts,
                    "select finding_id, left_value, right_value, message_ru, message_en, source_row, "
                    "reporting_year from marts.rpt_validation_findings where finding_id = %s "
                    "and source_row is not distinct from %s",
                    (cells[col["Finding"]], cells[col["Row"]]),
                )
            ][:1]
            finding_id, left, right, message_ru, message_en, source_row, year = mart
            for got, want in ((cells[col["Left-hand value"]], left), (cells[col["Right-hand value"]], right)):
                if want is None:
                    assert got is None
                else:
                    assert isinstance(got, int | float) and decimal.Decimal(str(got)) == want
            assert cells[col["Reporting year"]] == year and isinstance(year, int)
            assert cells[col["Finding text (RU)"]] == message_ru
            assert cells[col["Finding text (EN)"]] == message_en


def test_a_rerun_without_new_findings_keeps_the_numbers_and_another_scope_takes_the_next(marts, letters):
    from programme_monitoring.publishing.letters.queries import issue_query_letters

    before = q(marts, "select letter_number, item_count from audit.query_letters order by 1")
    again = issue_query_letters(today=ISSUED)
    assert [(x.number, len(x.items), x.new) for x in again] == [
        (x.number, len(x.items), False) for x in letters
    ]
    assert q(marts, "select letter_number, item_count from audit.query_letters order by 1") == before
    # One sender, one year first: its all-years letter then has findings not cited yet.
    state, year = q(
        marts,
        "select state_code, min(reporting_year) from marts.rpt_validation_findings group by state_code "
        "having count(distinct reporting_year) > 1 order by 1 limit 1",
    )[0]
    sender = state.lower()
    (first,) = issue_query_letters(sender=sender, year=year, today=ISSUED)
    assert first.number == f"EC-Q-2026-{state}-0002" and not first.new  # nothing in it is new
    assert {i["reporting_year"] for i in first.items} == {year}


def test_a_hostile_or_unknown_sender_is_refused_and_changes_nothing(marts, letters):
    from programme_monitoring.intake.receipts import UnknownSenderError
    from programme_monitoring.publishing.letters.queries import issue_query_letters

    before = q(marts, "select * from audit.query_letters order by 1")
    outbox = sorted(p for p in paths().outbox.rglob("*"))
    for hostile in ("../x", "unknown", "kz/../../etc"):
        with pytest.raises(UnknownSenderError, match="not a registered sender"):
            issue_query_letters(sender=hostile, today=ISSUED)
    assert q(marts, "select * from audit.query_letters order by 1") == before
    assert sorted(p for p in paths().outbox.rglob("*")) == outbox


def test_reminders_go_for_reports_due_soon_and_missing_once(marts):
    from programme_monitoring.publishing.letters.reminders import send_reminders

    slots = q(
        marts,
        "select state_code, programme_code, reporting_year, report_deadline, is_expected, is_received "
        "from marts.rpt_reporting_completeness",
    )
    missing = [s for s in slots if s[4] and not s[5]]
    assert missing and any(s[5] for s in slots)
    deadline = min(s[3] for s in missing)
    today = deadline - dt.timedelta(days=10)
    window = {s[:4] for s in missing if today <= s[3] <= today + dt.timedelta(days=30)}
    sent = send_reminders(days=30, today=today)
    assert {(r.state_code, r.programme_code, r.reporting_year, r.report_deadline) for r in sent} == window
    received = {s[:4] for s in slots if s[5]}
    assert (
        not {(r.state_code, r.programme_code, r.reporting_year, r.report_deadline) for r in sent} & received
    )
    for r in sent:
        assert r.path.parent == paths().outbox / r.state_code.lower()
        text = r.path.read_text(encoding="utf-8")
        assert f"за {r.reporting_year} год ещё не получен" in text
        assert f"report for {r.reporting_year} has not been received yet" in text
        assert f"Отчёт по программе {r.programme_code} (" in text
    assert send_reminders(days=30, today=today) == []  # once per report and deadline


def test_no_letters_and_no_failure_before_the_marts_are_built(own_warehouse, monkeypatch, tmp_path):
    """A new deployment's first daily run comes before its first transform: nothing to ask yet."""
    from programme_monitoring.publishing.letters.queries import issue_query_letters
    from programme_monitoring.publishing.letters.reminders import send_reminders
    from programme_monitoring.warehouse.schema import init

    # The module's own server: the session's, first started here under this module's
    # VAR_DIR, would be lost to the later tests when the module restores the environment.
    warehouse_url, _ = own_warehouse
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("drop database if exists letters_no_marts with (force)")
        conn.execute("create database letters_no_marts")
    url = warehouse_url.rsplit("/", 1)[0] + "/letters_no_marts"
    init(url)
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    assert issue_query_letters() == []
    assert send_reminders(today=dt.date(2015, 2, 1)) == []
    assert not (tmp_path / "var" / "outbox").exists()
