"""CeleryExecutor across machines, reproduced on one: Redis from the distribution's package,
two Celery workers each with its own local folders (run-time folder, Airflow home, log
server), sharing only PostgreSQL and one object store (STORAGE_URL, here file://). The
chain completes from a report dropped into the store's landing area, and every output
lands in the store, none on a worker's disk.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
from pathlib import Path

import psycopg
import pytest
from programme_monitoring.orchestration.names import (
    COUNCIL_REPORT_DAG,
    INGEST_DAG,
    PUBLISH_DAG,
    TRANSFORM_DAG,
)

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 600
YEARS = (2014, 2015)  # the samples of these years only: the chain as at demo scale, in less time


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    found = subprocess.run([str(ROOT / "bin" / "ensure-redis")], capture_output=True, text=True)
    if found.returncode != 0:
        pytest.skip(f"no Redis for the Celery broker: {found.stderr.strip()[-500:]}")
    from programme_monitoring.dev.airflow_stack import free_port

    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [found.stdout.strip(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=open(folder / "redis.log", "wb"),  # noqa: SIM115 - closed when the process ends
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


@pytest.fixture(scope="module")
def celery_chain(tmp_path_factory, redis_url):
    from programme_monitoring.dev.airflow_stack import AirflowStack, free_port
    from programme_monitoring.dev.samples import generate_samples

    base = tmp_path_factory.mktemp("celery")
    store = base / "store"
    stack = AirflowStack(base / "control", executor="CeleryExecutor")
    try:
        stack.start_database()
        stack.extra_env = {
            "AIRFLOW__CELERY__BROKER_URL": redis_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + stack.env()["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "STORAGE_URL": store.as_uri() + "/",
        }
        stack.prepare()
        generate_samples(store / "landing", seed=2014, years=YEARS)
        workers = {}
        for name in ("worker-a", "worker-b"):
            local = base / name  # this "machine's" own disk
            workers[name] = local
            env = {
                **stack.env(),
                "VAR_DIR": str(local / "var"),
                "AIRFLOW_HOME": str(local / "airflow"),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            }
            stack._spawn("celery worker --concurrency 1", env, name)
        stack.start()
        stack.wait_for_dags((INGEST_DAG, TRANSFORM_DAG, PUBLISH_DAG, COUNCIL_REPORT_DAG))
        since = dt.datetime.now(dt.UTC).isoformat()
        stack.trigger(INGEST_DAG)
        runs = {}
        # the chain's runs, not those a DAG's time schedule adds once it is unpaused
        for dag_id, run_type in (
            (INGEST_DAG, "manual"),
            (TRANSFORM_DAG, "asset_triggered"),
            (PUBLISH_DAG, "asset_triggered"),
            (COUNCIL_REPORT_DAG, "asset_triggered"),
        ):
            runs[dag_id] = stack.wait_for(
                lambda d=dag_id, t=run_type: stack.finished_after(d, since, t), TIMEOUT, dag_id
            )
        yield stack, store, workers, runs
    finally:
        stack.close()


def test_the_chain_completes_on_celery_workers(celery_chain):
    stack, _, workers, runs = celery_chain
    assert {dag_id: run["state"] for dag_id, run in runs.items()} == dict.fromkeys(runs, "success")
    with psycopg.connect(stack.warehouse_url) as conn:
        (figures,) = conn.execute("select count(*) from marts.rpt_headline_figures").fetchone()
    assert figures > 0

    # The Celery workers imported the task libraries before forking (orchestration/celery_config.py).
    # The task logs stay on each worker's disk here (no remote logging, the api-server cannot
    # reach the workers' log servers on their own ports), so they are read there.
    run_id = runs[INGEST_DAG]["dag_run_id"]
    logs = [
        path.read_text(encoding="utf-8")
        for local in workers.values()
        for path in (local / "airflow" / "logs").glob(f"dag_id={INGEST_DAG}/run_id={run_id}/*/*.log")
    ]
    assert logs, "no log of the ingest task on either worker"
    assert all("great_expectations was preloaded by the worker" in log for log in logs)


def test_every_output_lands_in_the_store_and_none_on_a_worker(celery_chain):
    _, store, workers, _ = celery_chain
    assert not [p for p in (store / "landing").rglob("*") if p.is_file()], "reports left in the landing area"
    assert any((store / "archive").rglob("*.summary.json")), "no accepted report archived in the store"
    assert any((store / "quarantine").rglob("*.reason.txt")), "no refused report quarantined in the store"
    assert (store / "reports" / "headline_figures.csv").stat().st_size > 0
    editions = sorted((store / "reports").glob("council_report_*/edition.json"))
    assert editions and json.loads(editions[-1].read_text(encoding="utf-8"))["reporting_year"] == max(YEARS)
    assert (store / "data_docs" / "index.html").exists()
    for name, local in workers.items():
        left = [p for p in (local / "var").rglob("*") if p.is_file()] if (local / "var").exists() else []
        assert not left, f"{name} kept files on its own disk: {left[:5]}"
