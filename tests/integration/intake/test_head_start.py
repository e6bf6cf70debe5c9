"""intake.head_start on a real PostgreSQL: a large CSV report's values COPYed while it is read.

Every file here gets a head start (``MIN_BYTES`` made 0) and is read in chunks of a few
rows (``CSV_CHUNK_ROWS`` made small), so that several chunks reach PostgreSQL before the
file is read whole. A file loaded so holds exactly the rows it would hold without one; a
file refused at any point (by the reader, the suites or the load) leaves nothing of what its
head start wrote; a head start that fails leaves the load to run as without one; no
connection is left open in a transaction.
"""

from __future__ import annotations

import shutil
import threading

import psycopg
import pytest
from programme_monitoring.intake import head_start, ledger
from programme_monitoring.report_format import csv_reader
from test_ingest import BASE_VALUES, complete, fresh_database, ingest, landing, q, write

# (article: a free-text dimension, so every part is its own breakdown)
PARTS = [("THB01", f"article=C{n:04d}", n % 89) for n in range(3_000)]
VALUES = [("THB01", "total", sum(v for _, _, v in PARTS)), *PARTS]
ROW = "source_sheet, source_row, indicator_code, disaggregation, value, is_reported, comment"


@pytest.fixture
def fresh(warehouse_url, tmp_path, monkeypatch):
    monkeypatch.setattr(head_start, "MIN_BYTES", 0)
    monkeypatch.setattr(csv_reader, "CSV_CHUNK_ROWS", 500)
    yield from fresh_database(warehouse_url, tmp_path, monkeypatch)


@pytest.fixture
def copies(monkeypatch) -> list[tuple[str, int]]:
    """Every COPY of indicator values: (the thread that made it, rows)."""
    made: list[tuple[str, int]] = []
    copy_values = ledger.copy_values

    def recorded(*args, **kwargs) -> int:
        rows = copy_values(*args, **kwargs)
        made.append((threading.current_thread().name, rows))
        return rows

    monkeypatch.setattr(ledger, "copy_values", recorded)
    return made


def no_transaction_left_open(url: str) -> bool:
    database = url.rsplit("/", 1)[1]
    return q(
        url,
        "select count(*) from pg_stat_activity where datname = %s and state like 'idle in transaction%%'",
        database,
    ) == [(0,)]


def rows_of(url: str, year: int) -> list[tuple]:
    return q(
        url,
        f"select {ROW} from raw.indicator_values v join raw.report_headers h using (report_id) "
        "where h.reporting_year = %s order by source_row",
        year,
    )


def test_a_large_csv_loads_through_its_head_start_the_rows_it_would_load_without_one(
    fresh, copies, monkeypatch
):
    (early,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", values=VALUES))
    monkeypatch.setattr(head_start, "MIN_BYTES", 1 << 62)  # none for the next file
    (plain,) = ingest(write(landing() / "KZ_THB_2015_v1.csv", values=VALUES, year=2015))
    assert early.status == plain.status == "loaded", (early.reasons, plain.reasons)
    rows = len(complete(VALUES))
    assert copies == [("intake-head-start", rows), ("MainThread", len(complete(VALUES, year=2015)))]
    assert rows_of(fresh, 2014)[: len(VALUES)] == rows_of(fresh, 2015)[: len(VALUES)]
    assert q(fresh, "select count(*) from raw.indicator_values where report_id = %s", early.sha256) == [
        (rows,)
    ]
    assert q(fresh, "select count(*) from raw.measure_status where report_id = %s", early.sha256) != [(0,)]
    assert q(fresh, "select status, indicator_rows from audit.file_ledger where file_sha256 = %s",
             early.sha256) == [("loaded", rows)]  # fmt: skip
    assert no_transaction_left_open(fresh)


def test_a_bad_row_after_chunks_already_sent_refuses_the_file_and_leaves_nothing(fresh, copies):
    bad = [*VALUES[:2_500], ("THB01", "article=X", -1), *VALUES[2_500:]]
    (refused,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", values=bad))
    assert refused.status == "rejected" and "row 2502" in refused.reasons[0]
    assert copies == []  # the head start's COPY ended with the reader's refusal: it never completed
    for table in ("raw.report_headers", "raw.indicator_values", "raw.measure_status"):
        assert q(fresh, f"select count(*) from {table}") == [(0,)], table
    assert q(fresh, "select status from audit.file_ledger") == [("rejected",)]
    assert no_transaction_left_open(fresh)


@pytest.mark.parametrize(
    ("name", "values", "reason"),
    [
        ("unknown code (the suites)", [*VALUES, ("THB99", "total", 3)], "THB99"),
        ("no newer version (the load)", VALUES[:-1], "the same version (1)"),
    ],
)
def test_a_file_refused_after_its_head_start_leaves_nothing_of_it(fresh, copies, name, values, reason):
    (first,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", values=VALUES))
    (refused,) = ingest(write(landing() / "KZ_THB_2014_v1_again.csv", values=values))
    assert (first.status, refused.status) == ("loaded", "rejected"), name
    assert reason in " ".join(refused.reasons)
    assert [thread for thread, _ in copies] == ["intake-head-start", "intake-head-start"]
    assert q(fresh, "select distinct report_id from raw.indicator_values") == [(first.sha256,)]
    assert q(fresh, "select report_id from raw.report_headers") == [(first.sha256,)]
    assert no_transaction_left_open(fresh)


def test_the_same_bytes_twice_in_one_run_get_one_head_start_and_one_load(fresh, copies):
    original = write(landing() / "KZ_THB_2014_v1.csv", values=VALUES)
    again = landing() / "copy of it.csv"
    shutil.copyfile(original, again)
    outcomes = ingest(original, again)
    assert [o.status for o in outcomes] == ["loaded", "duplicate"]
    assert [thread for thread, _ in copies] == ["intake-head-start"]
    assert q(fresh, "select count(*) from raw.report_headers") == [(1,)]
    assert no_transaction_left_open(fresh)


def server_gone_for_head_starts(monkeypatch) -> None:
    """Every head start fails: PostgreSQL goes away as it writes the report's header."""
    insert_header = ledger.insert_header

    def server_gone_for_the_head_start(*args, **kwargs):
        if threading.current_thread().name == "intake-head-start":
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return insert_header(*args, **kwargs)

    monkeypatch.setattr(ledger, "insert_header", server_gone_for_the_head_start)


def test_a_head_start_that_fails_leaves_the_load_to_run_as_without_one(fresh, copies, monkeypatch):
    server_gone_for_head_starts(monkeypatch)
    (outcome,) = ingest(write(landing() / "KZ_THB_2014_v1.csv", values=VALUES))
    assert outcome.status == "loaded", outcome.reasons
    assert copies == [("MainThread", len(complete(VALUES)))]
    assert q(fresh, "select count(*) from raw.indicator_values") == [(len(complete(VALUES)),)]
    assert no_transaction_left_open(fresh)


def test_a_file_the_fast_reader_gives_up_on_drops_what_its_head_start_sent(fresh, copies):
    """A row with a field too many stops pyarrow's reader after chunks were sent; the exact
    reader reads the file again and names the line: nothing of the first pass remains."""
    path = write(landing() / "KZ_THB_2014_v1.csv", values=VALUES)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2_800] = lines[2_800].rstrip("\r\n") + ",extra\r\n"
    path.write_text("".join(lines), encoding="utf-8", newline="")
    (refused,) = ingest(path)
    assert refused.status == "rejected" and "row 2801" in refused.reasons[0], refused.reasons
    assert [thread for thread, _ in copies] == ["intake-head-start"]  # rows of the first pass, rolled back
    assert q(fresh, "select count(*) from raw.report_headers") == [(0,)]
    assert no_transaction_left_open(fresh)


def test_a_dry_run_starts_no_head_start(fresh, copies):
    path = write(landing() / "KZ_THB_2014_v1.csv", values=[*BASE_VALUES])
    (outcome,) = ingest(path, dry_run=True)
    assert outcome.status == "loaded" and outcome.dry_run
    assert copies == []
    assert q(fresh, "select count(*) from audit.file_ledger") == [(0,)]


def test_a_head_start_waiting_on_another_runs_header_goes_on_when_that_run_rolls_back(fresh, copies):
    """Another run reading the same bytes holds their header in its open transaction: this run's
    head start waits for it (the reader does not), and carries on once that run rolls back."""
    from programme_monitoring.report_format.file_safety import file_sha256

    path = write(landing() / "KZ_THB_2014_v1.csv", values=VALUES)
    digest = file_sha256(path)
    with psycopg.connect(fresh) as other:
        from programme_monitoring.warehouse.schema import init

        init(fresh)
        other.execute(
            "insert into audit.file_ledger (file_sha256, file_name, file_bytes, status) "
            "values (%s, 'elsewhere.csv', 1, 'received')",
            (digest,),
        )
        other.commit()
        other.execute(
            "insert into raw.report_headers (report_id, source_file, file_format, state_code, authority, "
            "programme_code, reporting_year, submission_date, report_version) "
            "values (%s, 'elsewhere.csv', 'csv', 'KZ', 'x', 'THB', 2014, '2015-02-01', 1)",
            (digest,),
        )  # not committed: the other run is still reading
        result: list = []
        run = threading.Thread(target=lambda: result.extend(ingest(path)))
        run.start()
        waited = False
        for _ in range(600):
            waited = q(fresh, "select count(*) from pg_locks where not granted") != [(0,)]
            if waited or not run.is_alive():
                break
            threading.Event().wait(0.05)
        other.rollback()
    run.join(timeout=120)
    assert waited and not run.is_alive()
    (outcome,) = result
    assert outcome.status == "loaded", outcome.reasons
    assert copies == [("intake-head-start", len(complete(VALUES)))]
    assert q(fresh, "select count(*) from raw.indicator_values") == [(len(complete(VALUES)),)]
    assert no_transaction_left_open(fresh)
