"""Benchmark: one new report to published marts at the demo's scale, ``build_warehouse()`` timed.

Usage::

    .venv/bin/python bench/bench_one_report.py [--corrections 3]

On a fresh embedded PostgreSQL: the demo's synthetic reports are ingested and built once
(``full_refresh``); then ``--corrections`` times a correction of KZ THB 2014 (one figure
changed) is written into the landing area, ingested, and ``build_warehouse()`` timed: what
changed is found in the ledgers, the models downstream built aside and tested, the marts
published by renames. All in one process, as an Airflow worker that preloaded dbt runs it
(``orchestration.preload``): the first build imported dbt, the timed ones fork from it. For
each, the nodes dbt ran and how long dbt took to execute them (``run_results.json``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine_load  # noqa: E402

VALUE_SQL = """select max(report_version) from raw.report_headers
               where state_code = 'KZ' and programme_code = 'THB' and reporting_year = 2014"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corrections", type=int, default=3)
    args = parser.parse_args()

    from programme_monitoring.warehouse.embedded import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="bench-one-report-"))
    server = EmbeddedPostgres(base / "pgdata")
    url = server.ensure_running()
    os.environ.update(WAREHOUSE_URL=url, VAR_DIR=str(base / "var"))
    from programme_monitoring.dev.samples import generate_samples, sender_folder
    from programme_monitoring.intake.ingest import ingest_landing
    from programme_monitoring.report_format.reader import parse_report
    from programme_monitoring.report_format.writer import write_report
    from programme_monitoring.warehouse.schema import init
    from programme_monitoring.warehouse.transform import build_warehouse

    target = base / "target"
    try:
        init(url)
        landing = base / "var" / "landing"
        manifest = generate_samples(landing, seed=2014)
        report = parse_report(next(p for p in manifest.good if p.name.startswith("KZ_THB_2014_")))
        ingest_landing()
        started = time.perf_counter()
        build_warehouse(target_path=target, full_refresh=True)
        print(f"{len(manifest.good)} reports, first build: {time.perf_counter() - started:.1f} s")
        print(f"load before: {machine_load()}", flush=True)
        for n in range(1, args.corrections + 1):
            with psycopg.connect(url) as conn:
                (version,) = conn.execute(VALUE_SQL).fetchone()
            values = report.indicator_values.copy()
            total = (values.indicator_code == "THB01") & (values.disaggregation == "total")
            values.loc[total, "value"] = values.loc[total, "value"] + n
            header = dataclasses.replace(report.header, version=version + 1)
            path = sender_folder(landing, "KZ") / f"KZ_THB_2014_v{header.version}.csv"
            write_report(header, values, report.measures, path, "csv")
            ingest_landing()
            started = time.perf_counter()
            build_warehouse(target_path=target)
            seconds = time.perf_counter() - started
            results = json.loads((target / "run_results.json").read_text())
            print(
                f"correction {n}: build_warehouse() {seconds:.1f} s, {len(results['results'])} nodes, "
                f"dbt executing them {results['elapsed_time']:.1f} s",
                flush=True,
            )
        print(f"load after: {machine_load()}")
    finally:
        server.stop(mode="immediate")


if __name__ == "__main__":
    main()
