"""Where things live and which warehouse to use.

Every path is computed from the project root, never absolute. The one setting a user
normally changes is ``WAREHOUSE_URL``: unset, the project starts its own embedded
PostgreSQL server; set, everything (loaders, dbt, Great Expectations, reports) uses
that server instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# Where Great Expectations renders its Data Docs site (great_expectations.yml, data_docs_sites).
DATA_DOCS_SITE = EXPECTATIONS_DIR / "uncommitted" / "data_docs" / "local_site"
DAGS_DIR = PROJECT_ROOT / "dags"


@dataclass(frozen=True)
class Paths:
    """Run-time folders. ``VAR_DIR`` moves them all (tests point it at a temp dir)."""

    var: Path

    @property
    def landing(self) -> Path:
        return Path(os.environ.get("LANDING_DIR", self.var / "landing"))

    @property
    def landing_spool(self) -> Path:
        """Where objects of a remote landing area (``LANDING_URL``) wait while they are ingested."""
        return self.var / "landing_spool"

    @property
    def archive(self) -> Path:
        return self.var / "archive"

    @property
    def quarantine(self) -> Path:
        return self.var / "quarantine"

    @property
    def outbox(self) -> Path:
        """Answers to senders: ``outbox/<sender_id>/`` (receipts, query letters, reminders)."""
        return self.var / "outbox"

    @property
    def reports(self) -> Path:
        return Path(os.environ.get("REPORTS_DIR", self.var / "reports"))

    @property
    def embedded_pgdata(self) -> Path:
        return self.var / "pgdata"

    @property
    def airflow_home(self) -> Path:
        return self.var / "airflow"


def paths() -> Paths:
    return Paths(var=Path(os.environ.get("VAR_DIR", PROJECT_ROOT / "var")).resolve())


def warehouse_url_from_env() -> str | None:
    """The external warehouse, if the user named one."""
    return os.environ.get("WAREHOUSE_URL") or None


def landing_url_from_env() -> str | None:
    """A remote landing area (``s3://``, ``sftp://``, ``gs://``, ``file://``...), if one is set;
    otherwise the intake reads the local folder ``paths().landing``."""
    return os.environ.get("LANDING_URL") or None


def landing_conn_id_from_env() -> str | None:
    """The Airflow connection holding the remote landing area's credentials, if any."""
    return os.environ.get("LANDING_CONN_ID") or None
