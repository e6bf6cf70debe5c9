"""Benchmark: a report file dropped into the landing area -> updated marts, under a real Airflow.

Usage::

    .venv/bin/python bench/bench_real_scheduler.py [--corrections 3]

The compose deployment as local processes (programme_monitoring.dev.airflow_stack: api-server,
scheduler, dag-processor, triggerer, LocalExecutor, a fresh embedded PostgreSQL set up by the
compose init script, tuned intervals in FAST_INTERVALS), loaded with the demo's synthetic
reports. Then, ``--corrections`` times: a correction of KZ THB 2014 is written into the
landing area and the ingest DAG triggered through the REST API (as the hourly schedule or
an operator would); the clock stops when ``marts.fct_indicator_values`` shows the new
figure. Each run's phases come from Airflow's own run records: queued -> started ->
ended for the ingest and for the transform the ingest's asset started.

Each correction is dropped into an idle deployment (no DAG run queued or running: the
previous correction's publish, Council report and sender DAGs have ended), as a file
dropped hours after the last one meets it. ``--back-to-back`` drops the next correction as
soon as the previous one's publish run ends, while the others still share the 2 CPUs.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import machine_load  # noqa: E402
from programme_monitoring.dev.airflow_stack import AirflowStack  # noqa: E402
from programme_monitoring.dev.samples import generate_samples, sender_folder  # noqa: E402
from programme_monitoring.orchestration.names import INGEST_DAG, PUBLISH_DAG, TRANSFORM_DAG  # noqa: E402
from programme_monitoring.report_format.reader import parse_report  # noqa: E402
from programme_monitoring.report_format.writer import write_report  # noqa: E402

VALUE_SQL = """select value from marts.fct_indicator_values where state_code = 'KZ' and programme_code = 'THB'
               and reporting_year = 2014 and indicator_code = 'THB01' and disaggregation = 'total'"""


def _value(url: str) -> int | None:
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(VALUE_SQL).fetchone()
            return row[0] if row else None
    except psycopg.Error:
        return None


def _ts(text: str | None) -> float | None:
    return dt.datetime.fromisoformat(text).timestamp() if text else None


def _run_after(stack: AirflowStack, dag_id: str, since: float) -> dict:
    def finished():
        for run in stack.runs(dag_id):
            if (_ts(run.get("queued_at")) or 0) >= since and run["state"] in ("success", "failed"):
                return run
        return None

    return stack.wait_for(finished, 600, f"{dag_id} run")


def _idle(stack: AirflowStack) -> bool:
    """No DAG run of any DAG queued or running."""
    active = stack.api("GET", "/api/v2/dags/~/dagRuns?state=queued&state=running&limit=1")
    return active["total_entries"] == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corrections", type=int, default=3)
    parser.add_argument(
        "--back-to-back", action="store_true", help="do not wait for the deployment to be idle before a drop"
    )
    parser.add_argument("--show-logs", action="store_true", help="print the last correction's task logs")
    args = parser.parse_args()
    print(f"load before: {machine_load()}")
    stack = AirflowStack(Path(tempfile.mkdtemp(prefix="bench-real-scheduler-")))
    try:
        stack.start_database()
        stack.prepare()
        manifest = generate_samples(stack.var / "landing", seed=2014)
        report = parse_report(next(p for p in manifest.good if p.name.startswith("KZ_THB_2014_")))
        stack.start()
        stack.wait_for_dags((INGEST_DAG, TRANSFORM_DAG, PUBLISH_DAG))
        started = time.time()
        stack.trigger(INGEST_DAG)
        stack.wait_for(lambda: _value(stack.warehouse_url) is not None, 900, "the first load", interval=1)
        print(f"first load ({len(manifest.good)} reports) to marts: {time.time() - started:.1f} s")
        _run_after(stack, PUBLISH_DAG, started)  # let the first chain finish before timing
        results = []
        for n in range(1, args.corrections + 1):
            if not args.back_to_back:
                stack.wait_for(lambda: _idle(stack), 600, "no DAG run queued or running", 0.5)
            before = _value(stack.warehouse_url)
            values = report.indicator_values.copy()
            mask = (values.indicator_code == "THB01") & (values.disaggregation == "total")
            values.loc[mask, "value"] = before + 1
            header = dataclasses.replace(report.header, version=report.header.version + n)
            dropped = time.time()
            path = sender_folder(stack.var / "landing", "KZ") / f"KZ_THB_2014_v{header.version}.csv"
            write_report(header, values, report.measures, path, "csv")
            stack.trigger(INGEST_DAG)
            stack.wait_for(lambda b=before: _value(stack.warehouse_url) == b + 1, 600, "the new figure", 0.1)
            in_marts = time.time()
            ingest = _run_after(stack, INGEST_DAG, dropped)
            transform = _run_after(stack, TRANSFORM_DAG, dropped)
            phases = {
                "drop_to_marts_s": round(in_marts - dropped, 1),
                "ingest_queued_to_start_s": round(_ts(ingest["start_date"]) - _ts(ingest["queued_at"]), 1),
                "ingest_run_s": round(_ts(ingest["end_date"]) - _ts(ingest["start_date"]), 1),
                "asset_to_transform_start_s": round(
                    _ts(transform["start_date"]) - _ts(ingest["end_date"]), 1
                ),
                "transform_run_s": round(_ts(transform["end_date"]) - _ts(transform["start_date"]), 1),
                # forked from a worker that had imported GX and dbt (orchestration/preload.py)?
                "ingest_preloaded": "was preloaded by the worker"
                in stack.task_logs(INGEST_DAG, ingest["dag_run_id"]),
                "transform_preloaded": "was preloaded by the worker"
                in stack.task_logs(TRANSFORM_DAG, transform["dag_run_id"]),
            }
            results.append(phases)
            print(json.dumps(phases))
            _run_after(stack, PUBLISH_DAG, dropped)  # the publish of this correction, before the next
        if args.show_logs:
            for dag_id, run in ((INGEST_DAG, ingest), (TRANSFORM_DAG, transform)):
                print(f"--- {dag_id} {run['dag_run_id']}")
                for log in json.loads(stack.task_logs(dag_id, run["dag_run_id"])):
                    for line in log.get("content", []):
                        print(line.get("timestamp", ""), str(line.get("event", ""))[:200])
        best = min(results, key=lambda r: r["drop_to_marts_s"])
        print(f"best drop -> marts: {best['drop_to_marts_s']} s; load after: {machine_load()}")
    finally:
        stack.close()


if __name__ == "__main__":
    main()
