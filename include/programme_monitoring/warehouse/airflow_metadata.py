"""Airflow's own metadata database, on the warehouse's server but never in its schemas.

``configure_airflow()`` must run before Airflow is first imported: Airflow reads its
settings at import time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from programme_monitoring.settings import DAGS_DIR, paths
from programme_monitoring.warehouse.connection import warehouse_url

# psycopg2 for Airflow's own (sync) connections: with psycopg 3, SQLAlchemy casts every bound
# string (render_bind_cast), so Airflow's `data #> '{dag,dag_dependencies}'` becomes
# `json #> varchar`, which PostgreSQL lacks: the UI's dependency graph answered HTTP 500.
# The async URL is set too (psycopg 3), or Airflow derives one for asyncpg, not in the lock.
SYNC_DRIVER, ASYNC_DRIVER = "postgresql+psycopg2", "postgresql+psycopg_async"


def airflow_metadata_url() -> str:
    """Airflow's own database: a separate database on the same server, never the warehouse's schemas."""
    url = urlsplit(warehouse_url())
    return url._replace(scheme=SYNC_DRIVER, path="/airflow").geturl()


def async_url(sync_url: str) -> str:
    """The async twin of a metadata URL, with the async psycopg 3 driver."""
    return ASYNC_DRIVER + "://" + sync_url.split("://", 1)[1]


def configure_airflow() -> None:
    """Point Airflow at its own metadata database (never the warehouse schemas) and at dags/."""
    os.environ.setdefault("AIRFLOW_HOME", str(paths().airflow_home))
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS_DIR))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
    if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in os.environ:
        url = airflow_metadata_url()
        os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = url
        os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = async_url(url)
    elif "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC" not in os.environ and os.environ[
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
    ].startswith(("postgresql", "postgres:")):
        os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = async_url(
            os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        )
    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)


def migrate_airflow_metadata() -> None:
    airflow = Path(sys.executable).with_name("airflow")
    result = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
