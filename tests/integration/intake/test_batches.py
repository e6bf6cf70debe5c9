"""A run takes a landing area holding more than ``reading.BATCH_BYTES`` of reports batch by
batch: the reports of one batch are held at once, not the whole area's."""

from __future__ import annotations

import gc
import weakref

from programme_monitoring.intake import reading
from programme_monitoring.report_format.records import ParsedReport
from test_ingest import BASE_VALUES, fresh, ingest, landing, q, write  # noqa: F401 - fixture


def test_a_run_holds_the_reports_of_one_batch_at_a_time(fresh, monkeypatch):  # noqa: F811
    files = [write(landing() / f"KZ_THB_{year}_v1.csv", year=year) for year in (2014, 2015, 2016)]
    monkeypatch.setattr(reading, "BATCH_BYTES", max(f.stat().st_size for f in files))  # one file each
    parsed: list[weakref.ref] = []
    held_while_reading: list[int] = []
    parse = reading.parse

    def counted(path, *args):
        gc.collect()
        held_while_reading.append(sum(isinstance(r(), ParsedReport) for r in parsed))
        report, findings = parse(path, *args)
        parsed.append(weakref.ref(report))
        return report, findings

    monkeypatch.setattr(reading, "parse", counted)
    outcomes = ingest(*files)
    assert [o.status for o in outcomes] == ["loaded"] * 3, [o.reasons for o in outcomes]
    assert held_while_reading == [0, 0, 0]  # one run of three files, never two reports at once
    assert q(fresh, "select count(distinct report_id) from raw.indicator_values") == [(3,)]


def test_versions_in_two_batches_load_in_file_order(fresh, monkeypatch):  # noqa: F811
    v1 = write(landing() / "KZ_THB_2014_v1.csv")
    v2 = write(landing() / "KZ_THB_2014_v2.csv", 2, [("THB01", "total", 120), *BASE_VALUES[1:]])
    monkeypatch.setattr(reading, "BATCH_BYTES", 1)
    first, second = ingest(v1, v2)
    assert (first.status, second.status) == ("loaded", "loaded"), (first.reasons, second.reasons)
    assert second.supersedes == first.sha256
    late_v1 = write(landing() / "KZ_THB_2015_v1.csv", year=2015)
    v2_of_2015 = write(landing() / "KZ_THB_2015_v2.csv", 2, year=2015)
    newer, older = ingest(v2_of_2015, late_v1)  # the higher version first: the lower one is late
    assert (newer.status, older.status) == ("loaded", "rejected")
    assert "a newer version (2)" in older.reasons[0]
