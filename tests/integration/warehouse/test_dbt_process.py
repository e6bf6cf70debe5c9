"""dbt in a child process forked from the caller: its output comes back, its failures raise
with dbt's message, nothing of it (environment, connections) reaches the caller, and it
does not outlive the caller."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg
import pytest
from programme_monitoring.warehouse.dbt_process import DbtError, run_dbt


def _fresh_interpreter_env() -> dict[str, str]:
    """The test's environment for a new Python process, with the package on its path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3] / "include")
    return env


def test_a_build_returns_its_output_and_results_and_leaves_the_caller_as_it_was(own_warehouse):
    url, base = own_warehouse
    target = base / "target-process"
    environment = dict(os.environ)
    with psycopg.connect(url, autocommit=True) as conn:
        output = run_dbt("build", "--select", "stg_audit__file_ledger", target_path=target)
        # The child exited without closing the caller's connection.
        assert conn.execute("select 1").fetchone() == (1,)
    assert "Completed successfully" in output and "stg_audit__file_ledger" in output
    assert dict(os.environ) == environment
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("model.")} == {
        "model.programme_monitoring.stg_audit__file_ledger": "success"
    }
    # No manifest.json per build (docs generate writes it); the partial-parse state stays.
    assert not (target / "manifest.json").exists()
    assert (target / "partial_parse.msgpack").exists()


def test_a_failing_command_raises_with_what_dbt_said(own_warehouse):
    _, base = own_warehouse
    with pytest.raises(DbtError) as failure:
        run_dbt("run-operation", "no_such_macro", target_path=base / "target-process")
    message = str(failure.value)
    assert message.startswith("dbt run-operation failed:")
    assert "no_such_macro" in message


def test_the_log_file_holds_what_the_console_shows_unless_the_operator_asks_for_more(own_warehouse):
    # At dbt's default ("debug") it wrote every statement and event of every node: ~15%
    # of a small build. DBT_LOG_LEVEL_FILE (the operator's setting) still wins.
    _, base = own_warehouse
    for level, logs in ((None, base / "logs-info"), ("debug", base / "logs-debug")):
        env = {"DBT_LOG_PATH": str(logs), **({"DBT_LOG_LEVEL_FILE": level} if level else {})}
        run_dbt("build", "--select", "stg_audit__file_ledger", target_path=base / "target-process", env=env)
        log = (logs / "dbt.log").read_text(encoding="utf-8")
        assert "1 of 1 OK created sql view model staging.stg_audit__file_ledger" in log
        statements = [line for line in log.splitlines() if "[debug]" in line]
        assert bool(statements) == (level == "debug"), log[:2000]


def test_the_caller_fills_once_the_caches_every_dbt_child_would_fill_again(own_warehouse, tmp_path):
    # In a fresh interpreter: the test session's own process may be warm already.
    _, base = own_warehouse
    run_dbt("build", "--select", "stg_audit__file_ledger", target_path=base / "target-process")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "partial_parse.msgpack").write_bytes(b"\x93not a manifest")
    probe = """
import inspect, json, sys
from pathlib import Path
from dbt.contracts.graph.nodes import ModelNode
from dbt.contracts.project import Project
from programme_monitoring.warehouse import dbt_process
reader = ModelNode.__dict__["__mashumaro_from_dict__"]
dbt_process.warm_up(Path(sys.argv[1]))
print(json.dumps({
    "warm": sorted(dbt_process._warm),
    "schemas cached": Project.json_schema.cache_info().currsize,  # Project's, ProjectFlags'
    "module map": "dbt.contracts.project" in inspect._filesbymodname,
    "node reader generated": ModelNode.__dict__["__mashumaro_from_dict__"] is not reader,
}))
if len(sys.argv) > 2:  # and dbt forked from this warm process, twice
    for _ in range(2):
        dbt_process.run_dbt("build", "--select", "stg_audit__file_ledger", target_path=Path(sys.argv[2]))
"""
    env = _fresh_interpreter_env()

    def probe_with(target: Path, *build_into: Path) -> dict:
        result = subprocess.run(
            [sys.executable, "-c", probe, str(target), *map(str, build_into)],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        # The semaphores a dbt child leaves at os._exit are its own tracker's, not reported here.
        assert "leaked" not in result.stderr, result.stderr
        return json.loads(result.stdout.strip().splitlines()[0])

    assert probe_with(base / "target-process", tmp_path / "target") == {
        "warm": ["parse state", "process"],
        "schemas cached": 2,
        "module map": True,
        "node reader generated": True,
    }
    # A parse state dbt cannot read (another version, half-written) is left to the child.
    assert probe_with(damaged) == {
        "warm": ["process"],
        "schemas cached": 2,
        "module map": True,
        "node reader generated": False,
    }


def test_a_dbt_child_ends_with_the_process_that_started_it(own_warehouse):
    # A task killed mid-build releases the build lock with its connection; its dbt must not
    # go on writing the warehouse after that (transform.one_build_at_a_time).
    url, base = own_warehouse
    caller = """
import sys
from pathlib import Path
from programme_monitoring.warehouse.dbt_process import run_dbt
run_dbt("show", "--inline", "select pg_sleep(120) as slept", target_path=Path(sys.argv[1]))
"""
    env = _fresh_interpreter_env()
    process = subprocess.Popen([sys.executable, "-c", caller, str(base / "target-killed")], env=env)
    dbt = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not _sleeping_in(url):  # dbt's child is in its query
            assert process.poll() is None, "the caller ended before its dbt ran the query"
            time.sleep(0.2)
        [dbt] = psutil.Process(process.pid).children()
        process.kill()
        process.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(dbt):
            time.sleep(0.1)
        assert not _alive(dbt), "dbt went on after the process that started it was killed"
    finally:
        process.kill()
        if dbt is not None and _alive(dbt):
            dbt.kill()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"select pg_terminate_backend(pid) {_SLEEPING}", (_SLEEP,))


_SLEEP = "%pg_sleep(120)%"
_SLEEPING = "from pg_stat_activity where query like %s and pid <> pg_backend_pid()"


def _sleeping_in(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(f"select count(*) {_SLEEPING}", (_SLEEP,)).fetchone()[0] > 0


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
