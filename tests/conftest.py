"""Test set-up: one real embedded PostgreSQL for the whole session, in a temp folder.

Everything the project writes at run time (landing, archive, quarantine, reports,
Airflow's home) goes under the same temp folder. Airflow reads its settings when it is
first imported, so the environment is set here, before any test imports it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

_session_dir = Path(tempfile.mkdtemp(prefix="programme-monitoring-tests-"))
os.environ["VAR_DIR"] = str(_session_dir / "var")
os.environ.pop("WAREHOUSE_URL", None)  # the tests never touch a user's warehouse
os.environ.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
os.environ.pop("AIRFLOW_HOME", None)
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def statement_2014() -> dict[str, int]:
    """The CIS-wide 2014 figures as published (OSCE statement, 6 July 2015), by headline
    column: written here, not taken from the project, so the tests check the project."""
    return {
        "crimes_identified": 2731,
        "persons_brought_to_justice": 1618,
        "criminal_groups_terminated": 98,
        "migration_channels_blocked": 53,
        "comprehensive_preventive_measures": 13,
        "special_operations": 2,
    }


@pytest.fixture(scope="session")
def warehouse_url() -> str:
    """URL of the session's embedded PostgreSQL, started on first use, with the raw and audit schemas."""
    from programme_monitoring.warehouse.connection import embedded_server
    from programme_monitoring.warehouse.schema import init

    server = embedded_server()
    url = server.ensure_running()
    os.environ["WAREHOUSE_URL"] = url
    init(url)
    yield url
    if "airflow.settings" in sys.modules:  # close Airflow's pooled connections first
        sys.modules["airflow.settings"].dispose_orm()
    server.stop()


@pytest.fixture(scope="module")
def own_warehouse(tmp_path_factory, request):
    """A PostgreSQL server of the test module's own, for modules that build, break and
    rebuild whole schemas with dbt: VAR_DIR, WAREHOUSE_URL and dbt's WAREHOUSE_* variables
    point at it and the raw and audit schemas exist. Yields (url, the module's temp folder)."""
    from programme_monitoring.warehouse.connection import connection_parts
    from programme_monitoring.warehouse.embedded import EmbeddedPostgres
    from programme_monitoring.warehouse.schema import init

    base = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    server = EmbeddedPostgres(base / "pgdata")
    url = server.ensure_running()
    patch = pytest.MonkeyPatch()
    patch.setenv("VAR_DIR", str(base / "var"))
    patch.setenv("WAREHOUSE_URL", url)
    for part, value in connection_parts(url).items():
        patch.setenv("WAREHOUSE_" + {"dbname": "DB"}.get(part, part.upper()), value)
    patch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    try:
        init(url)
        yield url, base
    finally:
        patch.undo()
        server.stop(mode="immediate")


@pytest.fixture(scope="module")
def run_dbt_in_process(own_warehouse):
    """dbt(*args) -> dbt's result: dbt in this process on the module's own warehouse, with its
    target and logs in the module's folder (dbt's programmatic API, as the dbt tests use it)."""
    from dbt.cli.main import dbtRunner
    from programme_monitoring.settings import DBT_PROJECT_DIR

    _, base = own_warehouse

    def dbt(*args: str):
        return dbtRunner().invoke([
            *args,
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(base / "target"),
            "--log-path", str(base / "logs"),
        ])  # fmt: skip

    return dbt


@pytest.fixture(scope="session")
def airflow_ready(warehouse_url: str) -> None:
    from programme_monitoring.warehouse.airflow_metadata import configure_airflow, migrate_airflow_metadata

    configure_airflow()
    migrate_airflow_metadata()


@pytest.fixture(scope="session")
def chain_run(airflow_ready, warehouse_url):
    """The real chain (ingest -> transform -> publish with ``dag.test()``) on the synthetic
    samples, once per session: (samples manifest, state of each DAG run)."""
    from programme_monitoring.dev.samples import generate_samples
    from programme_monitoring.orchestration.local_runs import run_chain
    from programme_monitoring.settings import paths

    manifest = generate_samples(paths().landing, seed=2014)
    states = run_chain()
    return manifest, states


TESTS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Mark each test with its top folder (unit, integration, e2e): the folder says what it needs."""
    for item in items:
        item.add_marker(Path(item.path).resolve().relative_to(TESTS_DIR).parts[0])


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_session_dir, ignore_errors=True)
