"""Intake on a real PostgreSQL: ledger statuses, corrections, refusals, dry run, import summaries, warnings.

Each test gets a fresh database on the session's embedded server and its own run-time
folder, so the tests neither see nor disturb the end-to-end run's warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from pathlib import Path

import psycopg
import pytest
from programme_monitoring.report_format.records import ReportHeader
from programme_monitoring.report_format.writer import write_report
from programme_monitoring.settings import paths

BASE_VALUES = [
    ("THB01", "total", 100),
    ("THB02", "total", 50),
    ("THB02", "sex=female", 30),
    ("THB02", "sex=male", 20),
    ("THB04", "total", 40),
    ("THB05", "total", 30),
    ("THB06", "total", 12),
    ("TRN01", "total", None),
    ("TRN02", "total", None),
]  # every indicator THB carries in 2014-2018


def measures(programme: str = "THB", year: int = 2014) -> list[dict]:
    """A row for every measure due (the intake refuses a report missing one)."""
    from programme_monitoring.reference import load_reference

    due = sorted(load_reference().measures_due(programme, year))
    return [{"measure_code": code, "status": "implemented", "narrative": "done"} for code in due]


def complete(values, programme: str = "THB", year: int = 2014) -> list[tuple]:
    """The values plus a "not reported" total for each indicator the programme carries that year
    and the values leave out (the intake refuses a report missing one)."""
    from programme_monitoring.reference import load_reference

    ref = load_reference()
    have = {code for code, dis, _ in values if dis == "total"}
    due = [c for c in ref.indicators.indicator_code if c in ref.reportable_indicators(programme, year)]
    return [*values, *((code, "total", None) for code in due if code not in have)]


def write(
    path: Path,
    version: int = 1,
    values=BASE_VALUES,
    *,
    state: str = "KZ",
    year: int = 2014,
    submitted: dt.date | None = None,
    fmt: str | None = None,
    programme: str = "THB",
    whole: bool = True,
) -> Path:
    """A report file; ``whole``: completed with every indicator and measure due (see ``complete``)."""
    header = ReportHeader(
        state, "Test authority (SYNTHETIC)", programme, year, submitted or dt.date(year + 1, 2, 1), version
    )
    values = complete(values, programme, year) if whole else values
    rows = [{"indicator_code": c, "disaggregation": d, "value": v, "comment": ""} for c, d, v in values]
    path.parent.mkdir(parents=True, exist_ok=True)
    due = measures(programme, year) if whole else []
    return write_report(header, rows, due, path, fmt or path.suffix.lstrip("."))


@pytest.fixture
def fresh(warehouse_url, tmp_path, monkeypatch):
    """A fresh database and run-time folder; yields the database URL."""
    yield from fresh_database(warehouse_url, tmp_path, monkeypatch)


def fresh_database(warehouse_url, tmp_path, monkeypatch):
    """The body of ``fresh``, for the intake's other test modules' own fixture."""
    name = f"intake_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(warehouse_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = warehouse_url.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LANDING_DIR", raising=False)
    yield url
    with psycopg.connect(warehouse_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def q(url: str, sql: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def ingest(*files: Path, **kwargs):
    from programme_monitoring.intake.ingest import ingest_files

    return ingest_files(list(files), today=dt.date(2020, 1, 1), **kwargs)


def landing() -> Path:
    """Kazakhstan's sender folder (seed senders), where the tests' KZ reports arrive."""
    return paths().landing / "kz"


def test_first_version_is_loaded_with_its_summary_beside_the_archived_file(fresh):
    (outcome,) = ingest(write(paths().landing / "secretariat" / "KZ_THB_2014_v1.csv"), sender="kz")
    assert outcome.status == "loaded", outcome.reasons
    ((status, sender, version, rows),) = q(
        fresh, "select status, sender, report_version, indicator_rows from audit.file_ledger"
    )
    assert (status, sender, version, rows) == ("loaded", "kz", 1, len(BASE_VALUES))
    archive = paths().archive
    doc = json.loads((archive / f"{outcome.sha256}.summary.json").read_text(encoding="utf-8"))
    assert doc["status"] == "loaded" and doc["counts"]["imported"] == len(BASE_VALUES)
    assert doc["counts"]["updated"] == doc["counts"]["ignored"] == 0 and doc["conflicts"] == []
    ((imported, updated, ignored),) = q(fresh, "select imported, updated, ignored from audit.import_summary")
    assert (imported, updated, ignored) == (len(BASE_VALUES), 0, 0)


def test_summary_text_is_in_russian_and_english(fresh):
    (outcome,) = ingest(write(landing() / "KZ_THB_2014_v1.json"))
    text = (paths().archive / f"{outcome.sha256}.summary.txt").read_text(encoding="utf-8")
    assert "Итоги загрузки: KZ_THB_2014_v1.json" in text and "Import summary: KZ_THB_2014_v1.json" in text
    assert "Результат: ЗАГРУЖЕН" in text and "Outcome: LOADED" in text
    assert f"Values: {len(BASE_VALUES)} imported, 0 updated" in text
    assert f"Значения: загружено новых {len(BASE_VALUES)}, изменено 0" in text
    assert "Отправитель: kz" in text


def test_sender_is_the_landing_subfolder(fresh):
    from programme_monitoring.intake.ingest import ingest_landing

    write(paths().landing / "secretariat" / "KZ_THB_2014_v1.csv")
    (outcome,) = ingest_landing(today=dt.date(2020, 1, 1))
    assert outcome.status == "loaded" and outcome.sender == "secretariat"
    assert q(fresh, "select sender from audit.file_ledger") == [("secretariat",)]


def test_a_correction_supersedes_the_earlier_version_and_lists_its_changes(fresh):
    (first,) = ingest(write(landing() / "KZ_THB_2014_v1.xlsx"))
    corrected = [
        ("THB01", "total", 120),  # updated 100 -> 120
        *BASE_VALUES[1:5],
        ("THB05", "total", None),  # updated 30 -> not reported
        *BASE_VALUES[6:],
        ("THB02", "age_group=0-17", 9),  # added
    ]
    (second,) = ingest(write(landing() / "KZ_THB_2014_v2.csv", 2, corrected))
    assert second.status == "loaded" and second.supersedes == first.sha256, second.reasons
    ledger = dict(q(fresh, "select file_sha256, status from audit.file_ledger"))
    assert ledger == {first.sha256: "superseded", second.sha256: "loaded"}
    assert q(fresh, "select superseded_by from audit.file_ledger where file_sha256 = %s", first.sha256) == [
        (second.sha256,)
    ]
    # The superseded version's raw rows stay queryable.
    assert q(fresh, "select count(*) from raw.indicator_values where report_id = %s", first.sha256) == [
        (len(BASE_VALUES),)
    ]
    changes = q(
        fresh,
        """select indicator_code, disaggregation, change, old_value, new_value, old_reported, new_reported,
                  superseded_sha256
           from audit.import_changes where file_sha256 = %s order by indicator_code, disaggregation""",
        second.sha256,
    )
    assert changes == [
        ("THB01", "total", "updated", 100, 120, True, True, first.sha256),
        ("THB02", "age_group=0-17", "added", None, 9, None, True, first.sha256),
        ("THB05", "total", "updated", 30, None, True, False, first.sha256),
    ]
    ((imported, updated, unchanged, removed),) = q(
        fresh,
        "select imported, updated, unchanged, removed from audit.import_summary where file_sha256 = %s",
        second.sha256,
    )
    assert (imported, updated, unchanged, removed) == (1, 2, len(BASE_VALUES) - 2, 0)
    text = (paths().archive / f"{second.sha256}.summary.txt").read_text(encoding="utf-8")
    assert "THB01 [total]: 100 -> 120 (updated)" in text
    assert "replaces version 1" in text and "заменяет версию 1" in text


def test_a_late_older_or_equal_version_is_refused_and_never_overwrites(fresh):
    (v2,) = ingest(write(landing() / "KZ_THB_2014_v2.csv", 2))
    (late_v1,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", 1, [("THB01", "total", 1)]))
    (other_v2,) = ingest(write(landing() / "KZ_THB_2014_v2_again.json", 2, [("THB01", "total", 2)]))
    assert late_v1.status == other_v2.status == "rejected"
    assert "a newer version (2)" in late_v1.reasons[0] and "send it with version 3" in late_v1.reasons[0]
    assert "the same version (2)" in other_v2.reasons[0]
    ledger = dict(q(fresh, "select file_sha256, status from audit.file_ledger"))
    assert ledger == {v2.sha256: "loaded", late_v1.sha256: "rejected", other_v2.sha256: "rejected"}
    assert q(fresh, "select distinct report_id from raw.indicator_values") == [(v2.sha256,)]
    reason = (paths().quarantine / f"{late_v1.sha256}.csv.reason.txt").read_text(encoding="utf-8")
    assert "уже загружена" in reason
    conflicts = q(
        fresh, "select column_name, value from audit.import_conflicts where file_sha256 = %s", late_v1.sha256
    )
    assert conflicts == [("version", "1")]


def test_the_same_bytes_under_another_name_are_a_no_op(fresh):
    original = write(landing() / "KZ_THB_2014_v1.csv")
    again = landing() / "renamed copy.csv"
    shutil.copyfile(original, again)
    (first,) = ingest(original)
    (second,) = ingest(again)
    assert (first.status, second.status) == ("loaded", "duplicate")
    assert second.sha256 == first.sha256
    assert q(fresh, "select count(*) from audit.file_ledger") == [(1,)]
    assert q(fresh, "select count(*) from raw.report_headers") == [(1,)]
    assert not again.exists()


def test_a_dry_run_validates_and_summarises_but_loads_and_moves_nothing(fresh):
    good = write(landing() / "KZ_THB_2014_v1.csv")
    bad = write(landing() / "KZ_THB_2015_v1.csv", year=2015, values=[("THB01", "total", -4)])
    outcomes = ingest(good, bad, dry_run=True)
    assert [(o.status, o.dry_run) for o in outcomes] == [("loaded", True), ("rejected", True)]
    assert outcomes[0].summary.imported == len(BASE_VALUES)
    refused = outcomes[1].summary
    assert refused.ignored == len(complete(BASE_VALUES[:0] + [("THB01", "total", -4)], year=2015))
    assert [c.value for c in refused.conflicts] == [-4]
    assert "DRY RUN" in outcomes[0].summary.text() and "ПРОБНАЯ ПРОВЕРКА" in outcomes[0].summary.text()
    for table in ("audit.file_ledger", "raw.indicator_values", "audit.import_summary"):
        assert q(fresh, f"select count(*) from {table}") == [(0,)]
    assert good.exists() and bad.exists()
    assert not paths().archive.exists() and not paths().quarantine.exists()


def test_the_dry_run_command_prints_the_summary(fresh, capsys):
    from programme_monitoring.cli import main

    good = write(landing() / "KZ_THB_2014_v1.csv")
    assert main(["ingest", "--dry-run", str(good)]) == 0
    out = capsys.readouterr().out
    assert "ПРОБНАЯ ПРОВЕРКА" in out and "DRY RUN" in out and "1 would load" in out
    assert good.exists() and q(fresh, "select count(*) from audit.file_ledger") == [(0,)]


def test_a_refused_file_lists_every_conflict(fresh):
    bad = write(
        landing() / "KZ_THB_2014_v1.json",
        values=[("THB01", "total", -4), ("THB99", "total", 3), ("THB02", "total", 5)],
    )
    (outcome,) = ingest(bad)
    assert outcome.status == "rejected"
    conflicts = q(
        fresh,
        "select column_name, value, reason_ru from audit.import_conflicts where file_sha256 = %s order by 1",
        outcome.sha256,
    )
    assert [(c, v) for c, v, _ in conflicts] == [("indicator_code", "THB99"), ("value", "-4")]
    assert all(ru for _, _, ru in conflicts)
    doc = json.loads((paths().quarantine / f"{outcome.sha256}.summary.json").read_text(encoding="utf-8"))
    ignored = len(complete([("THB01", "total", -4), ("THB99", "total", 3), ("THB02", "total", 5)]))
    assert doc["status"] == "rejected" and doc["counts"]["ignored"] == ignored and len(doc["conflicts"]) == 2
    assert q(fresh, "select status from audit.file_ledger") == [("rejected",)]


def test_a_file_the_suites_refuse_after_its_copy_leaves_nothing_loaded(fresh, monkeypatch, capsys):
    """The suites run beside the load: the COPY of a file they refuse is rolled back."""
    from programme_monitoring.intake.ingest import PAUSE_ENV

    monkeypatch.setenv(PAUSE_ENV, "0.01")  # says when a load passes its COPY
    (outcome,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", values=[*BASE_VALUES, ("THB99", "total", 3)]))
    assert "paused after COPY of KZ_THB_2014_v1.csv" in capsys.readouterr().err
    assert outcome.status == "rejected" and "THB99" in " ".join(outcome.reasons)
    for table in ("raw.report_headers", "raw.indicator_values", "raw.measure_status", "audit.import_changes"):
        assert q(fresh, f"select count(*) from {table}") == [(0,)], table
    assert q(fresh, "select status from audit.file_ledger") == [("rejected",)]


def test_the_suites_reasons_come_first_when_the_load_refuses_the_file_too(fresh):
    """A file both the suites (unknown code) and the load (not a newer version) refuse is
    refused with the suites' reasons, as when they ran before the load."""
    assert ingest(write(landing() / "KZ_THB_2014_v1.csv"))[0].status == "loaded"
    again = write(landing() / "KZ_THB_2014_v1b.csv", values=[*BASE_VALUES, ("THB99", "total", 3)])
    (outcome,) = ingest(again)
    assert outcome.status == "rejected"
    assert "THB99" in " ".join(outcome.reasons) and "version" not in " ".join(outcome.reasons).lower()


def test_warnings_are_stored_for_review_while_the_file_loads(fresh):
    values = [
        ("THB01", "total", 100),
        ("THB02", "total", 50),
        ("THB02", "sex=female", 30),
        ("THB02", "sex=male", 10),  # 40 != 50
        ("THB04", "total", 20),
        ("THB05", "total", 25),  # convicted > prosecuted
    ]
    (outcome,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", values=values))
    assert outcome.status == "loaded" and len(outcome.warnings) == 2
    findings = q(
        fresh,
        """select suite, severity, rule, source_row, values_involved from audit.validation_findings
           where file_sha256 = %s order by rule""",
        outcome.sha256,
    )
    assert [(s, sev, r) for s, sev, r, _, _ in findings] == [
        ("convicted_prosecuted.warning", "warning", "convicted_not_above_prosecuted"),
        ("sex_parts.warning", "warning", "sex_parts_sum_to_total"),
    ]
    assert findings[0][4] == {"indicators": "THB04|THB05", "prosecuted": 20, "convicted": 25}
    assert findings[1][4] == {"indicator_code": "THB02", "indicators": "THB02", "total": 50, "sex_sum": 40}
    assert all(row is not None for _, _, _, row, _ in findings)
    assert q(fresh, "select count(*) from raw.indicator_values") == [(len(complete(values)),)]


def test_a_partial_sex_breakdown_or_age_parts_above_the_total_are_judged_on_the_report_alone(fresh):
    """Parts by sex must add up only when all are reported; parts by age may not exceed the total.
    Year-over-year jumps are not the intake's: the warehouse judges them across reports."""
    ingest(write(landing() / "KZ_THB_2014_v1.csv"))
    values = [
        ("THB01", "total", 400),  # 4x the 2014 figure: for the warehouse's review list, not here
        ("THB02", "total", 50),
        ("THB02", "sex=female", 30),
        ("THB02", "sex=male", None),  # not reported: 30 of 50 is no contradiction
        ("THB02", "age_group=0-17", 40),
        ("THB02", "age_group=18+", 20),  # 60 > 50
    ]
    (outcome,) = ingest(write(landing() / "KZ_THB_2015_v1.csv", year=2015, values=values))
    assert outcome.status == "loaded", outcome.reasons
    findings = q(
        fresh,
        "select suite, rule, values_involved from audit.validation_findings where file_sha256 = %s",
        outcome.sha256,
    )
    assert findings == [
        (
            "age_parts.warning",
            "age_parts_not_above_total",
            {"indicator_code": "THB02", "indicators": "THB02", "total": 50, "age_sum": 60},
        )
    ]


def test_marts_input_takes_the_latest_loaded_version(fresh):
    """What int_reports_latest_version reads: exactly one loaded ledger row per state x programme x year."""
    ingest(write(landing() / "KZ_THB_2014_v1.csv"))
    ingest(write(landing() / "KZ_THB_2014_v3.csv", 3, [("THB01", "total", 130), *BASE_VALUES[1:]]))
    ingest(write(landing() / "KZ_THB_2014_v2.csv", 2, [("THB01", "total", 120), *BASE_VALUES[1:]]))
    rows = q(fresh, "select report_version, status from audit.file_ledger order by report_version")
    assert rows == [(1, "superseded"), (2, "rejected"), (3, "loaded")]


def test_a_large_csv_is_read_in_chunks_and_loaded_row_for_row(fresh, monkeypatch):
    """Many chunks (CSV_CHUNK_ROWS made small): every row arrives with its own line number;
    a bad value in a late chunk refuses the whole file, naming its line, and loads nothing."""
    from programme_monitoring.report_format import csv_reader

    monkeypatch.setattr(csv_reader, "CSV_CHUNK_ROWS", 4_000)
    # (article: a free-text dimension, so 30,000 distinct members are allowed)
    parts = [("THB01", f"article=C{n:05d}", None if n % 1000 == 7 else n % 97) for n in range(30_000)]
    reported = sum(v for _, _, v in parts if v is not None)
    values = [("THB01", "total", reported), *parts]
    (outcome,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", values=values))
    assert outcome.status == "loaded", outcome.reasons
    assert outcome.indicator_rows == len(complete(values))
    ((rows, total, not_reported, last_line),) = q(
        fresh,
        "select count(*), sum(value), count(*) filter (where value is null and not is_reported), "
        "max(source_row) from raw.indicator_values where disaggregation <> 'total'",
    )
    assert (rows, total, not_reported, last_line) == (len(parts), reported, 30, len(values) + 1)
    assert q(
        fresh, "select source_row from raw.indicator_values where disaggregation = 'article=C20000'"
    ) == [
        (20_003,)  # heading, total row, then parts from line 3
    ]

    bad = [*values[:25_000], ("THB01", "article=X", -1), *values[25_000:]]
    (refused,) = ingest(write(landing() / "KZ_THB_2015_v1.csv", year=2015, values=bad))
    assert refused.status == "rejected" and "row 25002" in refused.reasons[0]
    assert q(fresh, "select count(*) from raw.indicator_values v join raw.report_headers h using (report_id) "
             "where h.reporting_year = 2015") == [(0,)]  # fmt: skip


def test_the_summary_text_lists_the_first_changes_and_the_table_holds_them_all(fresh, monkeypatch):
    from programme_monitoring.intake import summary as import_summary

    monkeypatch.setattr(import_summary, "LISTED_CHANGES", 2)
    ingest(write(landing() / "KZ_THB_2014_v1.csv"))
    corrected = [
        (code, dis, 1 if value is None else value + 1) for code, dis, value in BASE_VALUES
    ]  # all change
    (second,) = ingest(write(landing() / "KZ_THB_2014_v2.csv", 2, corrected))
    text = (paths().archive / f"{second.sha256}.summary.txt").read_text(encoding="utf-8")
    more = len(BASE_VALUES) - 2
    assert f"... and {more} more: every change is in audit.import_changes" in text
    assert f"... и ещё {more}: все изменения в audit.import_changes" in text
    assert text.count("updated") <= 2 * 2 + 1  # two listed per language, plus the counts line
    stored = q(fresh, "select count(*) from audit.import_changes where file_sha256 = %s", second.sha256)
    assert stored == [(len(BASE_VALUES),)]


def test_a_correction_is_compared_in_the_warehouse_and_only_its_first_changes_are_held(fresh, monkeypatch):
    """A corrected annex can change a million cells: PostgreSQL compares the two versions and
    stores every change; the summary, its JSON and the receipt carry the first ones and the count."""
    from programme_monitoring.intake import ingest as intake

    monkeypatch.setattr(intake, "LISTED_CHANGES", 3)
    ingest(write(landing() / "KZ_THB_2014_v1.csv"))
    corrected = [(code, dis, 1 if value is None else value + 1) for code, dis, value in BASE_VALUES]
    (second,) = ingest(write(landing() / "KZ_THB_2014_v2.csv", 2, corrected))
    s = second.summary
    assert (s.updated, s.imported, s.removed, s.unchanged, s.change_count) == (len(BASE_VALUES), 0, 0, 0, 9)
    in_file_order = [(code, dis) for code, dis, _ in BASE_VALUES]
    assert [(c.indicator_code, c.disaggregation) for c in s.changes] == in_file_order[:3]
    beside = json.loads((paths().archive / f"{second.sha256}.summary.json").read_text(encoding="utf-8"))
    assert beside["change_count"] == len(BASE_VALUES) and len(beside["changes"]) == 3
    receipt = next((paths().outbox / "kz").glob(f"{second.sha256}.accepted*.json"))
    document = json.loads(receipt.read_text(encoding="utf-8"))
    assert document["changes_total"] == len(BASE_VALUES) and len(document["changes"]) == 3
    stored = q(
        fresh,
        "select indicator_code, disaggregation from audit.import_changes where file_sha256 = %s "
        "order by ctid",
        second.sha256,
    )
    assert stored == in_file_order


def test_a_dry_run_of_a_correction_counts_its_changes_and_keeps_nothing(fresh):
    (first,) = ingest(write(landing() / "KZ_THB_2014_v1.csv"))
    corrected = [("THB01", "total", 120), *BASE_VALUES[1:], ("THB02", "age_group=0-17", 9)]
    tables = ("audit.file_ledger", "raw.report_headers", "raw.indicator_values", "audit.import_changes")
    before = {table: q(fresh, f"select count(*) from {table}") for table in tables}
    (dry,) = ingest(write(landing() / "KZ_THB_2014_v2.csv", 2, corrected), dry_run=True)
    assert dry.status == "loaded" and dry.dry_run and dry.supersedes == first.sha256
    s = dry.summary
    assert (s.imported, s.updated, s.unchanged, s.removed) == (1, 1, len(BASE_VALUES) - 1, 0)
    assert [(c.indicator_code, c.change) for c in s.changes] == [("THB01", "updated"), ("THB02", "added")]
    assert {table: q(fresh, f"select count(*) from {table}") for table in before} == before
    assert q(fresh, "select status from audit.file_ledger") == [("loaded",)]
