"""Outside the demo and the tests, a missing WAREHOUSE_URL is an error naming it, never a
private embedded PostgreSQL that nobody else sees (a Celery worker on another machine
would load reports into it)."""

from __future__ import annotations

import pytest
from programme_monitoring.warehouse import connection


@pytest.mark.parametrize(
    "setting",
    [
        {"AIRFLOW__CORE__EXECUTOR": "CeleryExecutor"},
        {"AIRFLOW__CORE__EXECUTOR": "airflow.providers.celery.executors.celery_executor.CeleryExecutor"},
        {"WAREHOUSE_EMBEDDED": "false"},
        {"WAREHOUSE_EMBEDDED": "false", "AIRFLOW__CORE__EXECUTOR": "LocalExecutor"},
    ],
)
def test_missing_warehouse_url_is_an_error_naming_it(monkeypatch, tmp_path, setting):
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("WAREHOUSE_EMBEDDED", raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    for name, value in setting.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(connection.WarehouseNotConfigured) as refused:
        connection.warehouse_url()
    assert "WAREHOUSE_URL" in str(refused.value)
    assert not (tmp_path / "pgdata").exists(), "an embedded server was started anyway"


@pytest.mark.parametrize(
    "setting",
    [
        {},
        {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor"},
        {"AIRFLOW__CORE__EXECUTOR": "CeleryExecutor", "WAREHOUSE_EMBEDDED": "true"},
    ],
)
def test_the_demo_and_tests_may_use_the_embedded_server(monkeypatch, setting):
    monkeypatch.delenv("WAREHOUSE_EMBEDDED", raising=False)
    monkeypatch.delenv("AIRFLOW__CORE__EXECUTOR", raising=False)
    for name, value in setting.items():
        monkeypatch.setenv(name, value)
    assert connection.embedded_refusal() is None


def test_a_set_warehouse_url_is_used_whatever_the_executor(monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://loader@db.example:5432/warehouse")
    assert connection.warehouse_url() == "postgresql://loader@db.example:5432/warehouse"
