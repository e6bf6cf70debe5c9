"""A report past ``reading.HOLD_BYTES`` on a real PostgreSQL: its values checked as read, not held.

Every file here gets a head start and is past the threshold (both made 0), read in chunks of
500 rows and checked in slices of 1,000 (``quality.slices``), so that a report of 3,000 parts
spans several slices. Such a report is decided exactly as if it had been held: the same rows
loaded, the same warnings, and when the suite refuses it (a rule broken in any slice, two rows
alike in different slices) the same reasons, each row named.
"""

from __future__ import annotations

import datetime as dt

import pytest
from programme_monitoring.intake import head_start, reading
from programme_monitoring.quality import slices
from programme_monitoring.report_format import csv_reader
from test_head_start import server_gone_for_head_starts
from test_ingest import complete, fresh_database, ingest, landing, q, write

PARTS = [("THB01", f"article=C{n:04d}", n % 89) for n in range(3_000)]
TOTALS = [("THB01", "total", sum(v for _, _, v in PARTS)), ("THB02", "total", 50)]
SEX = [("THB02", "sex=female", 30), ("THB02", "sex=male", 10)]  # 40 of 50: a warning
VALUES = [*TOTALS, *PARTS[:1_500], *SEX, *PARTS[1_500:]]
ROW = "source_row, indicator_code, disaggregation, value, is_reported, comment"


@pytest.fixture
def fresh(warehouse_url, tmp_path, monkeypatch):
    monkeypatch.setattr(head_start, "MIN_BYTES", 0)
    monkeypatch.setattr(reading, "HOLD_BYTES", 0)
    monkeypatch.setattr(csv_reader, "CSV_CHUNK_ROWS", 500)
    monkeypatch.setattr(slices, "SLICE_ROWS", 1_000)
    yield from fresh_database(warehouse_url, tmp_path, monkeypatch)


@pytest.fixture
def checked_slices(monkeypatch) -> list[int]:
    """The rows of every slice the suite checked as a file was read."""
    checked: list[int] = []
    check_slice = slices.SliceChecks._check_slice

    def recorded(self, values):
        checked.append(sum(len(v) for v in values))
        return check_slice(self, values)

    monkeypatch.setattr(slices.SliceChecks, "_check_slice", recorded)
    return checked


def held(monkeypatch) -> None:
    """The next files are held whole, as a smaller report is."""
    monkeypatch.setattr(reading, "HOLD_BYTES", 1 << 62)


def loaded_rows(url: str, report_id: str) -> list[tuple]:
    return q(
        url, f"select {ROW} from raw.indicator_values where report_id = %s order by source_row", report_id
    )


def findings_of(url: str, report_id: str) -> list[tuple]:
    return q(
        url,
        "select suite, rule, source_row, values_involved from audit.validation_findings "
        "where file_sha256 = %s order by rule",
        report_id,
    )


def test_a_report_checked_as_read_loads_and_warns_as_if_held(fresh, checked_slices, monkeypatch):
    (streamed,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", values=VALUES))
    assert streamed.status == "loaded", streamed.reasons
    rows = len(complete(VALUES))
    assert sum(checked_slices) == rows and len(checked_slices) > 2  # every value, slice by slice
    held(monkeypatch)
    (whole,) = ingest(write(landing() / "KZ_THB_2015_v1.csv", values=VALUES, year=2015))
    assert sum(checked_slices) == rows  # (that one was held)
    assert whole.status == "loaded", whole.reasons
    assert (
        loaded_rows(fresh, streamed.sha256)[: len(VALUES)] == loaded_rows(fresh, whole.sha256)[: len(VALUES)]
    )
    assert len(loaded_rows(fresh, streamed.sha256)) == rows
    assert q(
        fresh, "select indicator_rows from audit.file_ledger where file_sha256 = %s", streamed.sha256
    ) == [(rows,)]
    assert streamed.summary.values_read == whole.summary.values_read == rows
    # The parts by sex are compared with their total as for the report held whole.
    assert [f[:2] for f in findings_of(fresh, streamed.sha256)] == [
        ("sex_parts.warning", "sex_parts_sum_to_total")
    ]
    assert [f[2:] for f in findings_of(fresh, streamed.sha256)] == [
        f[2:] for f in findings_of(fresh, whole.sha256)
    ]


@pytest.fixture
def reads(monkeypatch) -> list[bool]:
    """Every reading of a report: whether it held its values."""
    made: list[bool] = []
    parse_report = reading.parse_report

    def recorded(path, values_sink=None, hold_values=True):
        made.append(hold_values)
        return parse_report(path, values_sink, hold_values)

    monkeypatch.setattr(reading, "parse_report", recorded)
    return made


SPREAD = [("THB02" if n % 2 else "THB01", text, value) for n, (_, text, value) in enumerate(PARTS)]


@pytest.mark.parametrize(
    ("name", "values", "read_again"),
    [
        (
            "a breakdown the indicator does not take, in the third slice",
            [*VALUES[:2_400], ("THB01", "sex=female", 3), *VALUES[2_400:]],
            False,
        ),
        ("a breakdown the indicator does not take, on 1,500 rows of every slice", [*TOTALS, *SPREAD], False),
        # (PostgreSQL refuses it too: the head start fails, and the report is not loaded nor read again)
        (
            "a negative value in the second slice",
            [*VALUES[:1_200], ("THB01", "article=X", -1), *VALUES[1_200:]],
            False,
        ),
        (
            "an indicator the programme does not carry",
            [*VALUES[:2_900], ("THB99", "total", 3), *VALUES[2_900:]],
            False,
        ),
        ("the same part twice in one slice", [*VALUES[:600], PARTS[598], *VALUES[600:]], False),
        ("the same part in the first and the last slice", [*VALUES, PARTS[10]], True),
    ],
)
def test_a_report_the_suite_refuses_in_any_slice_is_refused_with_the_reasons_of_the_held_one(
    fresh, checked_slices, reads, monkeypatch, name, values, read_again
):
    (streamed,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", values=values))
    assert len(checked_slices) > 2, name  # it was checked as read
    assert reads == ([False, True] if read_again else [False]), name
    held(monkeypatch)
    # (the same report but for its date: other bytes)
    (whole,) = ingest(
        write(landing() / "KZ_THB_2014_v1_held.csv", values=values, submitted=dt.date(2015, 2, 2))
    )
    assert streamed.status == whole.status == "rejected", name
    assert streamed.reasons == whole.reasons, name
    assert any("row" in reason for reason in streamed.reasons), streamed.reasons
    assert q(fresh, "select count(*) from raw.indicator_values") == [(0,)]


def test_a_report_checked_as_read_whose_head_start_fails_is_read_again_for_its_load(fresh, monkeypatch):
    server_gone_for_head_starts(monkeypatch)
    (outcome,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", values=VALUES))
    assert outcome.status == "loaded", outcome.reasons
    assert len(loaded_rows(fresh, outcome.sha256)) == len(complete(VALUES)) == outcome.summary.values_read
