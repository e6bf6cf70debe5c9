"""Benchmark of the URS intake: the whole intake vs a bare COPY vs pandas to_sql, same rows.

    PYTHONPATH=include .venv/bin/python bench/bench_urs_intake.py [--events 1000000] [--repeat 3]
        [--to-sql-rows N]   # default: all rows; a smaller N is timed and extrapolated (and says so)

On the warehouse's server (WAREHOUSE_URL or the embedded one) it creates a scratch database
``urs_bench`` and drops it afterwards. Each measurement runs in its own child process
(bench_common.run_phase), so its peak resident memory is its own; the three phases run in
turn, ``--repeat`` times, and the fastest run of each is reported:

* intake: ``urs.extract.ingest_extract`` on the N-event extract: hash the file, parse, check every
  value, HMAC-SHA256 pseudonyms, COPY into raw.urs_events and the ledger row, one transaction;
* bare COPY: the very rows the intake loaded (pseudonymised, COPY text, exported once with
  COPY TO) streamed from a file in 1 MB blocks with ``COPY ... FROM STDIN`` into an identical
  table (``LIKE raw.urs_events INCLUDING ALL``), no Python per row: the floor for loading
  those rows. Both psycopg writers are tried (plain and queued); the faster counts;
* to_sql: pandas ``DataFrame.to_sql`` of the same rows (read from that file beforehand, not
  timed) into an identical table, default method (SQLAlchemy 2 + psycopg 3 executemany).

Targets: intake <= 2x bare COPY (issue 17; 3x in issue 6), >= 10x faster than to_sql, peak memory < 1 GB.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_common import Stopwatch, best, emit, machine_load, run_phase, scratch_database  # noqa: E402

DATABASE = "urs_bench"
KEY = b"bench-key-" + b"0" * 40  # a benchmark key, not a secret


# -- child phases -------------------------------------------------------------------------


def phase_intake(extract: str) -> None:
    from programme_monitoring.urs.extract import ingest_extract

    with Stopwatch() as watch:
        outcome = ingest_extract(Path(extract), key=KEY)
    assert outcome.status == "loaded", outcome.reasons
    emit(seconds=watch.seconds, cpu_seconds=watch.cpu_seconds, rows=outcome.event_rows)


def phase_copy(rows_file: str, writer: str) -> None:
    import psycopg
    from psycopg.copy import LibpqWriter, QueuedLibpqWriter

    with psycopg.connect(os.environ["WAREHOUSE_URL"]) as conn:
        conn.execute("create table if not exists raw.urs_events_bare (like raw.urs_events including all)")
        conn.execute("truncate raw.urs_events_bare")
        conn.commit()
        cursor = conn.cursor()
        chosen = (QueuedLibpqWriter if writer == "queued" else LibpqWriter)(cursor)
        with Stopwatch() as watch:
            with cursor.copy("copy raw.urs_events_bare from stdin", writer=chosen) as copy:
                with open(rows_file, "rb") as f:
                    while block := f.read(1 << 20):
                        copy.write(block)
            conn.commit()
        rows = conn.execute("select count(*) from raw.urs_events_bare").fetchone()[0]
    emit(seconds=watch.seconds, cpu_seconds=watch.cpu_seconds, rows=rows, writer=writer)


def phase_to_sql(rows_file: str, limit: int) -> None:
    import pandas as pd
    import sqlalchemy
    from programme_monitoring.urs.extract import RAW_COLUMNS

    frame = pd.read_csv(
        rows_file,
        sep="\t",
        names=list(RAW_COLUMNS),
        nrows=limit or None,
        dtype=str,
        keep_default_na=False,
        na_values=["\\N"],
    )
    frame["event_date"] = pd.to_datetime(frame["event_date"]).dt.date
    engine = sqlalchemy.create_engine(
        os.environ["WAREHOUSE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    )
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "create table if not exists raw.urs_events_to_sql (like raw.urs_events including all)"
        )
        conn.exec_driver_sql("truncate raw.urs_events_to_sql")
    with Stopwatch() as watch:
        frame.to_sql("urs_events_to_sql", engine, schema="raw", if_exists="append", index=False)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("select count(*) from raw.urs_events_to_sql").scalar()
    engine.dispose()
    emit(seconds=watch.seconds, cpu_seconds=watch.cpu_seconds, rows=rows)


# -- driver -------------------------------------------------------------------------------


def _reset_intake(url: str) -> None:
    import psycopg
    from programme_monitoring.warehouse.schema import init as init_schema

    init_schema(url)
    with psycopg.connect(url) as conn:
        conn.execute("truncate raw.urs_events, audit.urs_extract_ledger")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--to-sql-rows", type=int, default=0, help="0: all rows")
    parser.add_argument("--phase", nargs="+")
    args = parser.parse_args()

    if args.phase:
        name, *rest = args.phase
        {"intake": phase_intake, "copy": phase_copy, "to_sql": lambda f, n: phase_to_sql(f, int(n))}[name](
            *rest
        )
        return 0

    import psycopg
    from programme_monitoring.dev.urs_extracts import write_synthetic_extract
    from programme_monitoring.warehouse.connection import warehouse_url

    load_before = machine_load()
    print(f"before: {load_before}")
    runs: dict[str, list[dict]] = {"intake": [], "copy": [], "to_sql": []}
    with (
        scratch_database(warehouse_url(), DATABASE) as url,
        tempfile.TemporaryDirectory(prefix="urs-bench-") as tmp,
    ):
        env = dict(os.environ, WAREHOUSE_URL=url)
        extract = Path(tmp) / "urs_extract.csv"
        with Stopwatch() as watch:
            write_synthetic_extract(extract, args.events, seed=1)
        print(
            f"extract: {args.events:,} events, {extract.stat().st_size / 1e6:.0f} MB ({watch.seconds:.1f} s)"
        )
        rows_file = Path(tmp) / "rows.copy"
        for attempt in range(args.repeat):
            _reset_intake(url)
            runs["intake"].append(run_phase(__file__, "intake", str(extract), env=env))
            if attempt == 0:  # the rows the intake loaded, as COPY text, for the other two
                with psycopg.connect(url) as conn, open(rows_file, "wb") as f:
                    with conn.cursor().copy("copy raw.urs_events to stdout") as copy:
                        for block in copy:
                            f.write(block)
            for writer in ("plain", "queued"):
                runs["copy"].append(run_phase(__file__, "copy", str(rows_file), writer, env=env))
            runs["to_sql"].append(
                run_phase(__file__, "to_sql", str(rows_file), str(args.to_sql_rows), env=env)
            )
            print(
                f"run {attempt + 1}: " + ", ".join(f"{k} {v[-1]['seconds']:.2f} s" for k, v in runs.items())
            )
    load_after = machine_load()
    print(f"after: {load_after}")

    intake, bare, to_sql = best(runs["intake"]), best(runs["copy"]), best(runs["to_sql"])
    assert intake["rows"] == bare["rows"] == args.events, (intake, bare)
    to_sql_full = to_sql["seconds"] * args.events / to_sql["rows"]
    sampled = to_sql["rows"] != args.events
    ratio_copy = intake["seconds"] / bare["seconds"]
    ratio_to_sql = to_sql_full / intake["seconds"]
    to_sql_label = (
        f"pandas to_sql, {to_sql['rows']:,} rows timed, x{args.events / to_sql['rows']:.0f} extrapolated"
        if sampled
        else "pandas to_sql of the same rows (default method)"
    )

    def row(label: str, r: dict, seconds: float) -> str:
        return (
            f"| {label} | {seconds:.2f} s | {r['runs']} | {r['cpu_seconds']:.2f} s | "
            f"{r['rows'] / r['seconds']:,.0f} | {r['peak_mb']:.0f} MB |"
        )

    print(
        f"\n`PYTHONPATH=include .venv/bin/python bench/bench_urs_intake.py --events {args.events} "
        f"--repeat {args.repeat}`; Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d')}\nbefore: `{load_before}`\nafter: `{load_after}`\n",
        "| phase | time (best) | all runs (s) | CPU of the client | rows/s | peak memory |",
        "|---|---|---|---|---|---|",
        row("intake (hash, parse, check, HMAC, COPY, ledger)", intake, intake["seconds"]),
        row(f"bare COPY of the same rows ({bare['writer']} writer)", bare, bare["seconds"]),
        row(to_sql_label, to_sql, to_sql_full),
        "",
        f"intake / bare COPY = {ratio_copy:.2f} (target <= 2); to_sql / intake = {ratio_to_sql:.1f} "
        f"(target >= 10); intake peak memory {intake['peak_mb']:.0f} MB (target < 1024)",
        sep="\n",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
