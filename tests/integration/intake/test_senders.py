"""Senders bound to their states (seed ``senders``), on real files, the real intake and PostgreSQL.

Each refusal must say in Russian and English what to fix, and leave the ledger and the
warehouse exactly as they were.
"""

from __future__ import annotations

import datetime as dt

import pytest
from programme_monitoring.settings import paths
from test_ingest import fresh_database, q, write


@pytest.fixture
def fresh(warehouse_url, tmp_path, monkeypatch):
    """A fresh database and run-time folder (test_ingest's); yields the database URL."""
    yield from fresh_database(warehouse_url, tmp_path, monkeypatch)


TABLES = (
    "audit.file_ledger",
    "audit.import_summary",
    "audit.import_conflicts",
    "raw.report_headers",
    "raw.indicator_values",
    "raw.measure_status",
)


def state_of(url: str) -> dict[str, list]:
    """Everything the intake writes, row for row (times and paths left out)."""
    return {
        "ledger": q(url, "select file_sha256, status, sender, report_version from audit.file_ledger "
                    "order by 1"),
        "headers": q(url, "select report_id, state_code, report_version from raw.report_headers order by 1"),
        "values": q(url, "select report_id, indicator_code, disaggregation, value from raw.indicator_values "
                    "order by 1, 2, 3"),
        "measures": q(url, "select report_id, measure_code, status from raw.measure_status order by 1, 2"),
        "summaries": q(url, "select file_sha256, status from audit.import_summary order by 1"),
    }  # fmt: skip


def run_landing():
    from programme_monitoring.intake.ingest import ingest_landing

    return ingest_landing(today=dt.date(2020, 1, 1))


def test_a_file_declaring_another_state_is_refused_and_its_own_sender_may_send_it_after(fresh):
    (loaded,) = _load_armenia_2014()
    before = state_of(fresh)
    misplaced = write(paths().landing / "kz" / "AM_THB_2014_v2.csv", 2, state="AM")
    (outcome,) = run_landing()
    assert outcome.status == "rejected" and outcome.sender == "kz"
    (reason,) = outcome.reasons
    assert "declares the report of Republic of Armenia" in reason
    assert (
        "came from Republic of Kazakhstan" in reason and "send it from Republic of Armenia's folder" in reason
    )
    assert "«Республика Армения»" in reason and "направьте его из папки этого государства" in reason
    after = state_of(fresh)
    # Nothing of Armenia's report changed: the new ledger row is the refusal alone.
    assert [row for row in after["ledger"] if row[0] != outcome.sha256] == before["ledger"]
    assert {k: v for k, v in after.items() if k not in ("ledger", "summaries")} == {
        k: v for k, v in before.items() if k not in ("ledger", "summaries")
    }
    assert q(
        fresh, "select status, sender from audit.file_ledger where file_sha256 = %s", outcome.sha256
    ) == [("rejected", "kz")]
    quarantined = paths().quarantine / f"{outcome.sha256}.csv.reason.txt"
    assert "Republic of Armenia" in quarantined.read_text(encoding="utf-8")
    assert not misplaced.exists()

    # The same bytes from Armenia's own folder are decided again, and load as the correction.
    again = write(paths().landing / "am" / "AM_THB_2014_v2.csv", 2, state="AM")
    (second,) = run_landing()
    assert (second.status, second.sender, second.sha256) == ("loaded", "am", outcome.sha256), second.reasons
    assert second.supersedes == loaded.sha256 and not again.exists()


def _load_armenia_2014():
    write(paths().landing / "am" / "AM_THB_2014_v1.csv", state="AM")
    outcomes = run_landing()
    assert [o.status for o in outcomes] == ["loaded"], outcomes[0].reasons
    return outcomes


def test_the_secretariat_may_load_any_state_and_is_recorded_as_such(fresh):
    write(paths().landing / "secretariat" / "AM_THB_2014_v1.json", state="AM")
    write(paths().landing / "secretariat" / "RU_THB_2014_v1.csv", state="RU")
    outcomes = run_landing()
    assert [(o.status, o.sender) for o in outcomes] == [("loaded", "secretariat")] * 2
    assert q(fresh, "select state_code, sender from audit.file_ledger order by 1") == [
        ("AM", "secretariat"),
        ("RU", "secretariat"),
    ]


def test_a_file_at_the_root_or_in_an_unknown_folder_is_refused_unread_and_left_in_place(fresh):
    from programme_monitoring.warehouse.schema import init

    init()
    before = state_of(fresh)
    at_root = write(paths().landing / "KZ_THB_2014_v1.csv")
    unknown = write(paths().landing / "kz-mvd" / "KZ_THB_2015_v1.csv", year=2015)
    good = write(paths().landing / "kz" / "KZ_THB_2016_v1.csv", year=2016)
    outcomes = {o.file_name: o for o in run_landing()}
    root_reason, unknown_reason = (outcomes[p.name].reasons[0] for p in (at_root, unknown))
    assert outcomes[at_root.name].status == outcomes[unknown.name].status == "rejected"
    assert "came without a sender" in root_reason and "landing/<sender>/" in root_reason
    assert "landing/am/" in root_reason and "--sender" in root_reason
    assert "поступил без отправителя" in root_reason and "landing/<отправитель>/" in root_reason
    assert "the folder 'kz-mvd' is not a registered sender" in unknown_reason
    assert "не принадлежит зарегистрированному отправителю" in unknown_reason
    assert outcomes[good.name].status == "loaded", "the others are decided all the same"
    # Refused unread: nothing recorded or quarantined, left for the sender to move.
    assert at_root.exists() and unknown.exists()
    after = state_of(fresh)
    assert [row[2] for row in after["ledger"]] == ["kz"]
    assert before["ledger"] == [] and not paths().quarantine.exists()

    # Moved into the right folder, it loads.
    moved = paths().landing / "kz" / at_root.name
    at_root.rename(moved)
    assert {o.file_name: o.status for o in run_landing()}[moved.name] == "loaded"


def test_the_intake_logs_what_it_decided_in_english_and_russian(fresh, caplog):
    from programme_monitoring.warehouse.schema import init

    init()
    write(paths().landing / "KZ_THB_2014_v1.csv")  # at the root: refused unread
    write(paths().landing / "kz" / "KZ_THB_2015_v1.csv", year=2015)
    with caplog.at_level("INFO", logger="programme_monitoring"):
        run_landing()
    text = caplog.text
    assert "refused unread, left in place: the file came without a sender" in text
    assert "отклонён без чтения и оставлен на месте: файл поступил без отправителя" in text
    assert "KZ_THB_2015_v1.csv loaded: " in text and "KZ_THB_2015_v1.csv загружен: значений " in text
    assert "intake: 1 loaded, 1 rejected, 0 already seen / приём: загружено 1, отклонено 1" in text


def test_a_manual_load_names_its_sender(fresh, tmp_path, capsys):
    from programme_monitoring.cli import main

    report = write(tmp_path / "elsewhere" / "BY_THB_2014_v1.csv", state="BY")
    assert main(["ingest", str(report)]) == 1  # no sender: refused, saying how to name one
    out = capsys.readouterr().out
    assert "given without a sender: load it with --sender <sender> (am, az, by, ...)" in out
    assert "указан без отправителя: загрузите его с --sender <отправитель>" in out
    assert "root of the landing area" not in out and report.exists()  # it lies elsewhere
    assert main(["ingest", "--sender", "kz", str(report)]) == 1  # Kazakhstan may not send Belarus's report
    assert "Republic of Belarus" in capsys.readouterr().out
    assert q(fresh, "select status, sender from audit.file_ledger") == [("rejected", "kz")]
    report = write(tmp_path / "elsewhere" / "BY_THB_2014_v1.csv", state="BY")
    assert main(["ingest", "--sender", "by", str(report)]) == 0
    assert q(fresh, "select status, sender from audit.file_ledger") == [("loaded", "by")]


def test_a_sender_limited_to_programmes_may_not_report_on_others():
    from programme_monitoring.intake.checks import sender_scope
    from programme_monitoring.reference import Sender
    from programme_monitoring.report_format.records import ReportHeader

    border = Sender("kz-border", "KZ", frozenset({"IM"}), "Пограничная служба", "Border service")
    header = ReportHeader("KZ", "x", "THB", 2014, dt.date(2015, 2, 1), 1)
    refusal = sender_scope(border, header)
    assert refusal is not None and refusal.column == "programme"
    assert "does not report on the THB programme (only IM)" in refusal.reason_en
    assert "не представляет отчёты по программе THB (только IM)" in refusal.reason_ru
    assert sender_scope(border, ReportHeader("KZ", "x", "IM", 2015, dt.date(2016, 2, 1), 1)) is None
