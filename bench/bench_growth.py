"""How cost grows: load and transform 1x, 3x and 10x the 1M-value volume; rows per second per phase.

    .venv/bin/python bench/bench_growth.py [--scales 1 3 10] [--rows 1000000]

For each scale k, on a fresh embedded PostgreSQL of its own (nothing cached from the
previous scale): the dbt test fixture (reference data, a few small reports), then k
synthetic CSV annex reports of ``--rows`` indicator rows each (IM, training participants
per event, one per state x year, so all of them count), and then:

* load: ``intake.ingest_files`` of each of the k reports (parse, checks, GX, COPY, ledger);
* transform, full: ``build_warehouse(full_refresh=True)`` (seeds, every model and data test,
  publishing);
* transform, one more report: a correction of one small fixture report (a few rows), then
  ``build_warehouse()``: what one new report costs at that volume.

It prints seconds and rows/s (values in ``raw.indicator_values``) of each phase and the
machine's load before and after each scale. The cost should grow linearly: rows/s flat
across scales for load and full transform, and the one-report rebuild flat in seconds.

Figures and what they show: bench/README.md, "How cost grows".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from bench_common import write_annex  # noqa: E402

TODAY = dt.date(2026, 11, 23)
SLOTS = [(state, year) for year in (2016, 2017) for state in ("KZ", "RU", "BY", "KG", "TJ")]


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def one_scale(scale: int, rows: int, base: Path) -> dict:
    import psycopg
    from programme_monitoring.dev.warehouse_fixture import load_fixture
    from programme_monitoring.warehouse.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(base / "pgdata")
    url = server.ensure_running()
    os.environ["WAREHOUSE_URL"] = url
    os.environ["VAR_DIR"] = str(base / "var")
    from programme_monitoring.dev.samples import sender_folder
    from programme_monitoring.intake import ingest as intake
    from programme_monitoring.warehouse.schema import init
    from programme_monitoring.warehouse.transform import build_warehouse

    result = {"scale": scale, "load_before": load()}
    try:
        init(url)
        load_fixture(url)
        landing = base / "var" / "landing"
        landing.mkdir(parents=True, exist_ok=True)
        files = []
        for number, (state, year) in enumerate(SLOTS[:scale]):
            path = sender_folder(landing, state) / f"annex_{state}_{year}.csv"
            write_annex(path, rows, state, year, seed=number, authority=f"MVD {state} (SYNTHETIC)")
            files.append(path)
        # One call per report, as the hourly DAG meets them (one call validates its files
        # together, holding every parsed report in memory).
        seconds = sum(timed(intake.ingest_files, [path], TODAY) for path in files)
        with psycopg.connect(url, autocommit=True) as conn:
            (values,) = conn.execute("select count(*) from raw.indicator_values").fetchone()
            conn.execute("vacuum analyze")
        result["values"] = values
        result["load"] = (seconds, scale * rows / seconds)
        target = base / "target"
        seconds = timed(build_warehouse, None, target, full_refresh=True)
        result["transform_full"] = (seconds, values / seconds)
        from bench_dbt import one_more_report

        one_more_report(url)
        seconds = timed(build_warehouse, None, target)
        result["transform_one_report"] = (seconds, None)
    finally:
        server.stop(mode="immediate")
    result["load_after"] = load()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 3, 10])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per annex report (1x = one report)")
    args = parser.parse_args()
    if max(args.scales) > len(SLOTS):
        raise SystemExit(f"at most {len(SLOTS)}x")
    # A fixed cost per process, not per row: paid here so that 1x is not charged with it.
    start = time.perf_counter()
    from programme_monitoring.quality.suites import gx

    gx()
    print(f"importing Great Expectations (once per process): {time.perf_counter() - start:.1f} s", flush=True)
    for scale in args.scales:
        with tempfile.TemporaryDirectory(prefix=f"bench-growth-{scale}x-") as tmp:
            r = one_scale(scale, args.rows, Path(tmp))
        print(f"{scale}x: {r['values']:,} values in raw.indicator_values", flush=True)
        print(f"  load before: {r['load_before']}", flush=True)
        for phase in ("load", "transform_full", "transform_one_report"):
            seconds, rate = r[phase]
            print(f"  {phase:<22} {seconds:8.1f} s" + (f" {rate:12,.0f} rows/s" if rate else ""), flush=True)
        print(f"  load after: {r['load_after']}", flush=True)


if __name__ == "__main__":
    main()
