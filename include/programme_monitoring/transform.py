"""Runs dbt against the warehouse (``dbt seed`` + ``dbt build``).

dbt runs as a child process: its logging and global state stay out of the Airflow task,
and the connection reaches its profile through environment variables, never a file.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from .settings import DBT_PROJECT_DIR
from .warehouse import connection_parts, warehouse_url

log = logging.getLogger(__name__)


class DbtError(RuntimeError):
    pass


def dbt_environment() -> dict[str, str]:
    parts = connection_parts(warehouse_url())
    env = dict(os.environ)
    env.update(
        {
            "WAREHOUSE_HOST": parts["host"],
            "WAREHOUSE_PORT": parts["port"],
            "WAREHOUSE_USER": parts["user"],
            "WAREHOUSE_PASSWORD": parts["password"],
            "WAREHOUSE_DB": parts["dbname"],
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    return env


def run_dbt(*args: str) -> str:
    """Run one dbt command in the project; return its output, raise DbtError with it on failure."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    log.info("running %s", " ".join(command[:2]))
    result = subprocess.run(
        command, capture_output=True, text=True, env=dbt_environment(), cwd=DBT_PROJECT_DIR
    )
    if result.returncode != 0:
        raise DbtError(f"dbt {args[0]} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    return result.stdout


def build_warehouse() -> str:
    """Load the reference seeds, then build and test every model (staging -> marts)."""
    return run_dbt("build")
