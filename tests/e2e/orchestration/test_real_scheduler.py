"""The chain under a real Airflow, deployed as docker-compose.yml deploys it.

api-server, scheduler, dag-processor and triggerer run as separate processes (LocalExecutor:
each task in its own process) over a fresh embedded PostgreSQL initialised by the compose
file's own init script: the warehouse user has no superuser or CREATEROLE right, and
Airflow's metadata lives in a database of its own. Runs are triggered through the REST API
with a token; the rest is assets: ingest -> transform -> headline figures and the Council
report. Intervals: programme_monitoring.dev.airflow_stack.FAST_INTERVALS.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from pathlib import Path

import psycopg
import pytest
from programme_monitoring.orchestration.names import (
    COUNCIL_REPORT_DAG,
    INGEST_DAG,
    NOTIFY_DAG,
    PUBLISH_DAG,
    TRANSFORM_DAG,
    UNODC_DAG,
)

# Every DAG of the deployment: each runs on its own schedule as soon as it is unpaused.
ALL_DAGS = (
    INGEST_DAG,
    TRANSFORM_DAG,
    PUBLISH_DAG,
    COUNCIL_REPORT_DAG,
    "ingest_urs_extracts",
    NOTIFY_DAG,
    UNODC_DAG,
)
CHAIN_TIMEOUT = 900  # seconds, for a busy 2-CPU machine; a failed run ends the wait at once
YEARS = (2014, 2015)  # the samples of these years only: the chain as at demo scale, in less time


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _chain_after(stack, since: str) -> dict:
    """Wait for transform, headline and Council runs started by assets after ``since``."""
    runs = {}
    for dag_id in (TRANSFORM_DAG, PUBLISH_DAG, COUNCIL_REPORT_DAG):
        runs[dag_id] = stack.wait_for(
            lambda d=dag_id: stack.finished_after(d, since, "asset_triggered"),
            CHAIN_TIMEOUT,
            f"{dag_id} after {since}",
        )
    return runs


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from programme_monitoring.dev.airflow_stack import AirflowStack
    from programme_monitoring.dev.samples import generate_samples
    from programme_monitoring.report_format.reader import parse_report

    stack = AirflowStack(tmp_path_factory.mktemp("real_scheduler"))
    try:
        stack.start_database()
        stack.prepare()
        manifest = generate_samples(stack.var / "landing", seed=2014, years=YEARS)
        # Read now: the intake moves it to the archive.
        stack.kz_thb_2014 = parse_report(next(p for p in manifest.good if p.name.startswith("KZ_THB_2014_")))
        stack.start()
        stack.wait_for_dags(ALL_DAGS)
        since = _now()
        first = stack.trigger(INGEST_DAG)
        stack.wait_for(lambda: stack.finished_after(INGEST_DAG, since), CHAIN_TIMEOUT, "the first ingest")
        stack.initial = {"ingest": first, **_chain_after(stack, since)}
        stack.manifest = manifest
        yield stack
    finally:
        stack.close()


def _kz_thb_2014(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select value from marts.fct_indicator_values where state_code = 'KZ' and programme_code = 'THB'
               and reporting_year = 2014 and indicator_code = 'THB01' and disaggregation = 'total'"""
        ).fetchone()[0]


def _fact_table(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("select 'marts.fct_indicator_values'::regclass::oid::bigint").fetchone()[0]


def test_the_warehouse_user_is_neither_superuser_nor_creates_roles(stack):
    with psycopg.connect(stack.warehouse_url) as conn:
        super_, createrole = conn.execute(
            "select rolsuper, rolcreaterole from pg_roles where rolname = current_user"
        ).fetchone()
        assert (super_, createrole) == (False, False)
        # ...and still reads every mart row through row-level security after the chain.
        assert conn.execute("select count(*) from marts.rpt_headline_figures").fetchone()[0] > 0


def test_a_dropped_correction_reaches_the_marts_and_the_published_reports(stack):
    from programme_monitoring.dev.samples import sender_folder
    from programme_monitoring.report_format.writer import write_report

    before = _kz_thb_2014(stack.warehouse_url)
    fact = _fact_table(stack.warehouse_url)
    headline = stack.var / "reports" / "headline_figures.csv"
    headline_written = headline.stat().st_mtime
    report = stack.kz_thb_2014
    values = report.indicator_values.copy()
    mask = (values.indicator_code == "THB01") & (values.disaggregation == "total")
    assert mask.sum() == 1
    values.loc[mask, "value"] = before + 7
    header = dataclasses.replace(report.header, version=report.header.version + 1)
    since = _now()
    landing = sender_folder(stack.var / "landing", "KZ")  # as the ministry delivers it
    write_report(header, values, report.measures, landing / f"KZ_THB_2014_v{header.version}.csv", "csv")

    run_id = stack.trigger(INGEST_DAG)
    ingest = stack.wait_for(
        lambda: stack.finished_after(INGEST_DAG, since), CHAIN_TIMEOUT, "the correction's ingest"
    )
    assert ingest["dag_run_id"] == run_id
    # forked from a worker that had imported it (orchestration/preload.py): seconds less per run
    assert "great_expectations was preloaded by the worker" in stack.task_logs(INGEST_DAG, run_id)
    runs = _chain_after(stack, since)
    transform_log = stack.task_logs(TRANSFORM_DAG, runs[TRANSFORM_DAG]["dag_run_id"])
    assert "dbt.cli.main was preloaded by the worker" in transform_log

    assert _kz_thb_2014(stack.warehouse_url) == before + 7
    # Added to the published fact table by a user its row-level security binds, not replaced.
    assert _fact_table(stack.warehouse_url) == fact
    reports = stack.var / "reports"
    assert headline.stat().st_mtime > headline_written
    assert runs[PUBLISH_DAG]["state"] == "success"
    # The Council report started by the marts update, without a year: the latest year with figures.
    editions = sorted(reports.glob("council_report_*/edition.json"))
    assert editions, "the Council report wrote nothing"
    latest = json.loads(editions[-1].read_text(encoding="utf-8"))
    assert latest["reporting_year"] == max(YEARS)
    for name in ("ru.pdf", "en.pdf", "annex.xlsx"):
        assert (editions[-1].parent / name).stat().st_size > 0


def test_no_dag_run_failed(stack):
    failed = [(d, r["dag_run_id"]) for d in ALL_DAGS for r in stack.runs(d) if r["state"] == "failed"]
    assert not failed


def test_urs_without_a_key_skips_naming_the_variable(stack):
    since = _now()
    run_id = stack.trigger("ingest_urs_extracts")
    run = stack.wait_for(
        lambda: stack.finished_after("ingest_urs_extracts", since), CHAIN_TIMEOUT, "the URS run"
    )
    assert run["dag_run_id"] == run_id
    (ti,) = stack.api("GET", f"/api/v2/dags/ingest_urs_extracts/dagRuns/{run_id}/taskInstances")[
        "task_instances"
    ]
    assert ti["state"] == "skipped"
    assert "URS_PSEUDONYM_KEY" in stack.task_logs("ingest_urs_extracts", run_id)


def test_the_ui_dependency_graph_answers(stack):
    graph = stack.api("GET", "/ui/dependencies")
    ids = {node["id"] for node in graph["nodes"]}
    assert f"dag:{TRANSFORM_DAG}" in ids and f"dag:{PUBLISH_DAG}" in ids


def test_no_login_of_the_deployment_can_create_large_objects(stack):
    """The init step revokes large-object creation in the warehouse database (the warehouse
    user, no superuser, cannot, and publishing must not fail trying)."""
    with psycopg.connect(stack.warehouse_url) as conn:
        for function in ("lo_create(oid)", "lo_from_bytea(oid, bytea)"):
            granted = conn.execute(
                "select has_function_privilege('public', %s, 'execute')", (f"pg_catalog.{function}",)
            ).fetchone()[0]
            assert granted is False, function
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select lo_create(0)")


def _live_members(groups: set[int]) -> list[str]:
    """Processes of these process groups that still run (zombies waiting for PID 1 do not)."""
    import os

    live = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except (OSError, ValueError):
            continue  # not a process, or gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (command)": state, ppid, pgid, ...
        if int(fields[2]) in groups and fields[0] != "Z":
            live.append(stat.split(")", 1)[0] + ")")
    return live


def test_stopping_the_deployment_leaves_no_process(stack):
    """Last in this module. The scheduler's LocalExecutor workers come from a forkserver
    (orchestration/preload.py); none may outlive the stopped scheduler."""
    groups = {process.pid for process in stack.processes.values()}
    assert groups and _live_members(groups)
    stack.stop()
    deadline = time.monotonic() + 10  # a killed process may take a moment to go
    while _live_members(groups) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _live_members(groups)
