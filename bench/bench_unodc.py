"""Benchmark of the UNODC GLOTIP connector against pandas.read_excel of the same workbook.

    PYTHONPATH=include .venv/bin/python bench/bench_unodc.py [--repeat 3] [--file data/unodc/...xlsx]

The real release (46,556 rows, 2.3 MB, 22 MB of sheet XML). Each measurement runs in its
own child process (bench_common.run_phase), the three phases in turn, ``--repeat`` times
(interleaved, so that a change of the machine's load hits all three); the fastest run of
each is reported with the load before and after:

* read_excel: ``pandas.read_excel(file, header=2, dtype=str)`` (openpyxl engine, pandas'
  default for .xlsx): only reading the sheet into a DataFrame, no check;
* reader: ``sources.glotip.read_release``: container checks, read, every blocking check;
* connector: ``sources.unodc.ingest_release`` into a scratch database: hash, reader,
  ledger, COPY of every row into raw.unodc_glotip_values, one transaction (the ledger is
  emptied between runs).

Target (issue 14): connector within 1.5x of read_excel.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_common import Stopwatch, best, emit, machine_load, run_phase, scratch_database  # noqa: E402

DATABASE = "unodc_bench"
DEFAULT_FILE = ROOT / "data" / "unodc" / "unodc_data_glotip_2023-05-30.xlsx"


def phase_read_excel(path: str) -> None:
    import pandas as pd

    with Stopwatch() as watch:
        frame = pd.read_excel(path, header=2, dtype=str)
    emit(seconds=watch.seconds, cpu_seconds=watch.cpu_seconds, rows=len(frame))


def phase_reader(path: str) -> None:
    from programme_monitoring.sources.glotip import read_release
    from programme_monitoring.sources.unodc import member_iso3

    iso3 = member_iso3()
    with Stopwatch() as watch:
        release = read_release(Path(path), iso3)
    emit(seconds=watch.seconds, cpu_seconds=watch.cpu_seconds, rows=release.rows)


def phase_connector(path: str) -> None:
    from programme_monitoring.sources.unodc import ingest_release

    with Stopwatch() as watch:
        outcome = ingest_release(Path(path))
    assert outcome.status == "loaded", outcome.reasons_en
    emit(seconds=watch.seconds, cpu_seconds=watch.cpu_seconds, rows=outcome.data_rows)


def _reset(url: str) -> None:
    import psycopg
    from programme_monitoring.warehouse.schema import init as init_schema

    init_schema(url)
    with psycopg.connect(url) as conn:
        conn.execute("truncate raw.unodc_glotip_values, audit.unodc_release_ledger")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file", default=str(DEFAULT_FILE))
    parser.add_argument("--phase", nargs="+")
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        {"read_excel": phase_read_excel, "reader": phase_reader, "connector": phase_connector}[name](*rest)
        return 0

    from programme_monitoring.warehouse.connection import warehouse_url

    load_before = machine_load()
    print(f"before: {load_before}")
    runs: dict[str, list[dict]] = {"read_excel": [], "reader": [], "connector": []}
    with scratch_database(warehouse_url(), DATABASE) as url:
        env = dict(os.environ, WAREHOUSE_URL=url)
        for attempt in range(args.repeat):
            runs["read_excel"].append(run_phase(__file__, "read_excel", args.file, env=env))
            runs["reader"].append(run_phase(__file__, "reader", args.file, env=env))
            _reset(url)
            runs["connector"].append(run_phase(__file__, "connector", args.file, env=env))
            print(
                f"run {attempt + 1}: " + ", ".join(f"{k} {v[-1]['seconds']:.2f} s" for k, v in runs.items())
            )
    load_after = machine_load()
    print(f"after: {load_after}")
    results = {name: best(r) for name, r in runs.items()}
    assert len({r["rows"] for r in results.values()}) == 1, results
    base = results["read_excel"]["seconds"]
    labels = {
        "read_excel": "`pandas.read_excel(header=2, dtype=str)` (read only)",
        "reader": "`read_release`: container checks + read + every blocking check",
        "connector": "`ingest_release`: hash + reader + ledger + COPY of every row, one transaction",
    }
    print(
        f"\n`PYTHONPATH=include .venv/bin/python bench/bench_unodc.py --repeat {args.repeat}`; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}\n"
        f"before: `{load_before}`\nafter: `{load_after}`\n",
        "| phase | time (best) | all runs (s) | vs read_excel | CPU of that run | peak memory |",
        "|---|---|---|---|---|---|",
        *(
            f"| {labels[name]} | {r['seconds']:.2f} s | {r['runs']} | {r['seconds'] / base:.2f}x | "
            f"{r['cpu_seconds']:.2f} s | {r['peak_mb']:.0f} MB |"
            for name, r in results.items()
        ),
        "",
        f"connector / read_excel = {results['connector']['seconds'] / base:.2f} (target <= 1.5)",
        sep="\n",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
