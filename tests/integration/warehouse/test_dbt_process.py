"""dbt in a child process forked from the caller: its output comes back, its failures raise
with dbt's message, and nothing of it (environment, connections) reaches the caller."""

from __future__ import annotations

import json
import os

import psycopg
import pytest
from programme_monitoring.warehouse.dbt_process import DbtError, run_dbt


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
