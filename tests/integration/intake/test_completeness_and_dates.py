"""Completeness from the catalogue, corrections that drop rows, and submission dates, on real
files through the real intake and PostgreSQL. Each refusal names what to fix in Russian and
English and leaves the ledger and the warehouse as they were (but for the refusal itself)."""

from __future__ import annotations

import datetime as dt

import pytest
from programme_monitoring.settings import paths
from test_ingest import BASE_VALUES, fresh_database, q, write

RUN_DAY = dt.date(2020, 1, 1)


@pytest.fixture
def fresh(warehouse_url, tmp_path, monkeypatch):
    """A fresh database and run-time folder (test_ingest's); yields the database URL."""
    yield from fresh_database(warehouse_url, tmp_path, monkeypatch)


def ingest(*files, today=RUN_DAY):
    from programme_monitoring.intake.ingest import ingest_files

    return ingest_files(list(files), today=today)


def warehouse(url: str) -> dict:
    """The warehouse's rows and the ledger's decisions other than refusals."""
    return {
        "loaded": q(url, "select file_sha256, status from audit.file_ledger where status <> 'rejected' "
                    "order by 1"),
        "headers": q(url, "select report_id, report_version, submission_date from raw.report_headers "
                     "order by 1"),
        "values": q(url, "select report_id, indicator_code, disaggregation, value from raw.indicator_values "
                    "order by 1, 2, 3"),
        "measures": q(url, "select report_id, measure_code from raw.measure_status order by 1, 2"),
    }  # fmt: skip


def kz(name: str) -> object:
    return paths().landing / "kz" / name


def test_a_report_missing_indicators_and_measures_is_refused_naming_them(fresh):
    path = write(kz("KZ_THB_2014_v1.csv"), values=BASE_VALUES[:5], whole=False)
    (outcome,) = ingest(path)
    assert outcome.status == "rejected"
    text = "\n".join(outcome.reasons)
    assert "the total of THB05, THB06, TRN01, TRN02 is missing" in text
    assert "нет итоговой строки показателей THB05, THB06, TRN01, TRN02" in text
    assert "the status of measure(s) 1.1.1, 1.1.2, 2.1.1, 2.1.2, 3.1.1 is missing (due in 2014)" in text
    assert "нет состояния исполнения мероприятий 1.1.1" in text
    assert q(fresh, "select count(*) from raw.report_headers") == [(0,)]


def test_a_csv_cut_short_is_refused_and_the_whole_file_loads_after(fresh):
    whole = write(paths().var / "outbox" / "KZ_THB_2014_v1.csv")
    data = whole.read_bytes()
    cut = kz("KZ_THB_2014_v1.csv")
    cut.parent.mkdir(parents=True)
    cut.write_bytes(data[: data.index(b"\n", len(data) // 2) + 1])  # cut at a line break, mid-write
    (refused,) = ingest(cut)
    assert refused.status == "rejected"
    text = "\n".join(refused.reasons)
    assert "is missing" in text and "a file cut short is sent again complete" in text
    assert "оборванный файл направьте повторно целиком" in text
    assert warehouse(fresh) == {"loaded": [], "headers": [], "values": [], "measures": []}
    # The complete file is not "the same version already loaded": it loads.
    (loaded,) = ingest(whole.rename(kz("KZ_THB_2014_v1_complete.csv")))
    assert loaded.status == "loaded", loaded.reasons


def test_a_correction_dropping_rows_of_the_version_it_replaces_is_refused_naming_them(fresh):
    with_parts = [*BASE_VALUES, ("THB02", "age_group=0-17", 8), ("THB04", "sex=male", 30)]
    (first,) = ingest(write(kz("KZ_THB_2014_v1.csv"), values=with_parts))
    assert first.status == "loaded", first.reasons
    before = warehouse(fresh)
    (second,) = ingest(write(kz("KZ_THB_2014_v2.csv"), 2, BASE_VALUES))
    assert second.status == "rejected"
    (reason,) = second.reasons
    assert "this correction leaves out 2 indicator row(s) of version 1 it replaces" in reason
    assert "THB02 [age_group=0-17], THB04 [sex=male]" in reason
    assert "в исправлении нет 2 строк показателей заменяемой версии 1" in reason
    assert warehouse(fresh) == before


def test_submission_dates_before_the_year_ends_or_after_arrival_are_refused(fresh):
    early = write(kz("KZ_THB_2014_v1.csv"), submitted=dt.date(2014, 12, 31))
    future = write(kz("KZ_THB_2015_v1.json"), year=2015, submitted=dt.date(2099, 1, 1))
    outcomes = ingest(early, future)
    assert [o.status for o in outcomes] == ["rejected", "rejected"]
    assert (
        "the submission date 2014-12-31 is before the end of the reporting year 2014"
        in outcomes[0].reasons[0]
    )
    assert "дата представления 31.12.2014 раньше окончания отчётного года 2014" in outcomes[0].reasons[0]
    assert "the submission date 2099-01-01 is after the file arrived (2020-01-01)" in outcomes[1].reasons[0]
    assert "позже поступления файла" in outcomes[1].reasons[0]
    assert warehouse(fresh) == {"loaded": [], "headers": [], "values": [], "measures": []}


def test_a_correction_dated_before_the_version_it_replaces_is_refused(fresh):
    """A late report cannot become an on-time one through a correction's date."""
    (late,) = ingest(write(kz("KZ_THB_2014_v1.csv"), submitted=dt.date(2015, 6, 1)))
    assert late.status == "loaded", late.reasons
    before = warehouse(fresh)
    (backdated,) = ingest(write(kz("KZ_THB_2014_v2.csv"), 2, submitted=dt.date(2015, 2, 1)))
    assert backdated.status == "rejected"
    assert (
        "this correction (version 2) is dated 2015-02-01, before version 1 it replaces"
        in backdated.reasons[0]
    )
    assert "своевременность определяется по дате первой версии" in backdated.reasons[0]
    assert warehouse(fresh) == before
