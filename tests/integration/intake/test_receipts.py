"""Receipts in the senders' outboxes, on the demo's sample reports, the real intake and PostgreSQL.

Every file the demo's intake decides gets a receipt (text and JSON) in the outbox of the
sender it came from and nowhere else; a refusal lists every reason with its place; the
same decision again makes no second receipt; a hostile sender id writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from programme_monitoring.settings import paths
from test_ingest import fresh_database, q


@pytest.fixture
def fresh(warehouse_url, tmp_path, monkeypatch):
    yield from fresh_database(warehouse_url, tmp_path, monkeypatch)


def outbox_files() -> dict[str, set[str]]:
    """Sender folder -> the names of the files in it (hidden temporary files included)."""
    root = paths().outbox
    if not root.exists():
        return {}
    return {folder.name: {p.name for p in folder.iterdir()} for folder in root.iterdir()}


@pytest.fixture
def demo(fresh):
    """The demo's sample reports (each in its sender's landing folder), ingested once."""
    from programme_monitoring.dev.samples import generate_samples
    from programme_monitoring.intake.ingest import ingest_landing

    generate_samples(paths().landing)
    senders = {p.name: p.parent.name for p in paths().landing.rglob("*") if p.is_file()}
    outcomes = ingest_landing(today=dt.date(2021, 1, 1))
    return fresh, outcomes, senders


def test_every_demo_file_has_its_receipt_in_its_sender_s_outbox_and_nowhere_else(demo):
    url, outcomes, senders = demo
    decided = [o for o in outcomes if o.status in ("loaded", "rejected", "duplicate")]
    assert len(decided) == len(outcomes) == len(senders)
    assert {o.sender for o in outcomes} == set(senders.values())  # real senders, not "unknown"
    expected: dict[str, set[str]] = {}
    for o in outcomes:
        assert o.sender == senders[o.file_name] != "unknown"
        decision = {"rejected": "refused", "duplicate": "duplicate"}.get(
            o.status, "accepted_with_warnings" if o.warnings else "accepted"
        )
        expected.setdefault(o.sender, set()).update(
            {f"{o.sha256}.{decision}.json", f"{o.sha256}.{decision}.txt"}
        )
    assert outbox_files() == expected
    # The ledger says the same senders.
    assert {(s, sender) for s, sender in q(url, "select file_sha256, sender from audit.file_ledger")} == {
        (o.sha256, o.sender) for o in outcomes
    }


def test_a_refusal_s_receipt_lists_every_reason_with_its_place_in_both_languages(demo):
    _, outcomes, _ = demo
    refused = [o for o in outcomes if o.status == "rejected"]
    assert refused
    for o in refused:
        folder = paths().outbox / o.sender
        document = json.loads((folder / f"{o.sha256}.refused.json").read_text(encoding="utf-8"))
        text = (folder / f"{o.sha256}.refused.txt").read_text(encoding="utf-8")
        assert document["receipt_schema"] == "programme_monitoring.receipt/1"
        assert document["decision"] == "refused" and document["file"]["name"] == o.file_name
        conflicts = o.summary.conflicts
        assert len(document["reasons"]) == len(conflicts) == len(o.reasons) > 0
        for item, conflict in zip(document["reasons"], conflicts, strict=True):
            assert (item["sheet"], item["row"], item["column"]) == (
                conflict.source_sheet or None,
                conflict.source_row,
                conflict.column or None,
            )
            assert item["message_en"] == conflict.reason_en and item["message_ru"] == conflict.reason_ru
            assert conflict.reason_en in text and conflict.reason_ru in text
            if conflict.source_row is not None:
                assert f"row {conflict.source_row}" in text and f"строка {conflict.source_row}" in text
        assert text.index("КВИТАНЦИЯ") < text.index("REPORT RECEIPT")  # Russian first
        assert "ОТКЛОНЁН" in text and "REFUSED" in text and "Исправьте каждое" in text


def test_an_acceptance_s_receipt_gives_the_import_summary_and_a_correction_what_changed(fresh):
    from programme_monitoring.intake.receipts import write_pending_receipts
    from test_ingest import BASE_VALUES, ingest, landing, write

    (first,) = ingest(write(landing() / "KZ_THB_2014_v1.csv"))
    changed = [(c, d, v + 5 if (c, d) == BASE_VALUES[0][:2] else v) for c, d, v in BASE_VALUES]
    (second,) = ingest(write(landing() / "KZ_THB_2014_v2.csv", 2, changed))
    assert first.status == second.status == "loaded"
    folder = paths().outbox / "kz"
    docs = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}
    decision = "accepted_with_warnings" if second.warnings else "accepted"
    doc = docs[f"{second.sha256}.{decision}.json"]
    assert doc["report"] == {
        "state_code": "KZ",
        "programme_code": "THB",
        "reporting_year": 2014,
        "version": 2,
    }
    assert doc["supersedes"] == {"sha256": first.sha256, "version": 1}
    assert doc["counts"]["updated"] == 1 and doc["counts"]["values_read"] == second.indicator_rows
    code, dis, old = BASE_VALUES[0]
    assert doc["changes"] == [
        {"indicator_code": code, "disaggregation": dis, "change": "updated", "old_value": old,
         "new_value": old + 5, "old_reported": True, "new_reported": True}
    ]  # fmt: skip
    text = (folder / f"{second.sha256}.{decision}.txt").read_text(encoding="utf-8")
    assert f"{code} [{dis}]: {old} → {old + 5} (изменено)" in text
    assert f"{code} [{dis}]: {old} → {old + 5} (changed)" in text
    assert "заменяет версию 1" in text and "replaces version 1" in text
    # The same decisions again (the daily run) write nothing new; a lost receipt is rewritten
    # from the ledger, the same as the intake wrote it.
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert write_pending_receipts() == []
    lost = folder / f"{second.sha256}.{decision}.json"
    lost.unlink()
    rewritten = write_pending_receipts()
    assert sorted(p.name for p in rewritten) == sorted([lost.name, lost.name.replace(".json", ".txt")])
    assert json.loads(lost.read_text(encoding="utf-8")) == doc
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_the_same_bytes_again_get_one_duplicate_receipt(fresh):
    from test_ingest import ingest, landing, write

    path = write(landing() / "KZ_THB_2014_v1.csv")
    body = path.read_bytes()
    (first,) = ingest(path)
    for _ in range(2):
        again = landing() / "again.csv"
        again.write_bytes(body)
        (outcome,) = ingest(again)
        assert outcome.status == "duplicate"
    names = outbox_files()["kz"]
    assert {n for n in names if ".duplicate." in n} == {
        f"{first.sha256}.duplicate.json",
        f"{first.sha256}.duplicate.txt",
    }
    text = (paths().outbox / "kz" / f"{first.sha256}.duplicate.txt").read_text(encoding="utf-8")
    assert "УЖЕ ПОЛУЧЕН" in text and "ALREADY RECEIVED" in text


@pytest.mark.parametrize("hostile", ["../x", "unknown", "kz/../by", "", "KZ", None, "/tmp/x"])
def test_a_hostile_sender_id_is_refused_and_writes_nothing(fresh, hostile):
    from programme_monitoring.intake.receipts import UnknownSenderError, outbox_for, write_receipt
    from programme_monitoring.intake.summary import ImportSummary

    summary = ImportSummary("x.csv", "a" * 64, hostile, "rejected")
    with pytest.raises(UnknownSenderError, match="is not a registered sender"):
        write_receipt(summary)
    with pytest.raises(UnknownSenderError, match="nothing was written"):
        outbox_for(hostile)
    written = [p for p in Path(paths().var).rglob("*") if p.is_file()] if paths().var.exists() else []
    assert written == []


def test_an_outbox_folder_that_leads_elsewhere_is_refused(fresh, tmp_path):
    from programme_monitoring.intake.receipts import UnknownSenderError, outbox_for

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    paths().outbox.mkdir(parents=True)
    (paths().outbox / "kz").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UnknownSenderError, match="does not resolve"):
        outbox_for("kz")
    assert list(elsewhere.iterdir()) == []


def test_a_receipt_gives_the_time_the_ledger_holds_even_when_the_load_takes_seconds(fresh, monkeypatch):
    """The receipt written at the end of a run and one rewritten from the ledger give the same
    time: the ledger's, not the moment the receipt was written (a load takes seconds)."""
    from programme_monitoring.intake.ingest import PAUSE_ENV
    from test_ingest import ingest, landing, write

    monkeypatch.setenv(PAUSE_ENV, "1.2")  # the load holds its transaction past a second
    (loaded,) = ingest(write(landing() / "KZ_THB_2014_v1.csv"))
    monkeypatch.delenv(PAUSE_ENV)
    (refused,) = ingest(write(landing() / "KZ_THB_2015_v1.csv", year=2015, values=[("THB99", "total", 1)]))
    for outcome in (loaded, refused):
        (receipt,) = (paths().outbox / "kz").glob(f"{outcome.sha256}.*.json")
        ((decided,),) = q(
            fresh, "select decided_at from audit.file_ledger where file_sha256 = %s", outcome.sha256
        )
        stated = json.loads(receipt.read_text(encoding="utf-8"))["decided_at"]
        assert stated == decided.astimezone(dt.UTC).isoformat(timespec="seconds"), outcome.status
