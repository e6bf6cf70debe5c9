"""Airflow wiring shared by the DAG files and the main command.

The assets that chain the DAGs, the task bodies (thin calls into the package), and how
to run the chain in one process with ``dag.test()``. ``configure_airflow()`` must run
before Airflow is first imported: Airflow reads its settings at import time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .settings import DAGS_DIR, paths

# DAG ids in the order the chain runs.
INGEST_DAG = "ingest_member_state_reports"
TRANSFORM_DAG = "transform_warehouse"
PUBLISH_DAG = "publish_headline_figures"
CHAIN = (INGEST_DAG, TRANSFORM_DAG, PUBLISH_DAG)
# The yearly report to the Council of Heads of State (not part of the chain: yearly, and
# again whenever the marts are republished).
COUNCIL_REPORT_DAG = "publish_council_report"

RAW_REPORTS_URI = "postgres://warehouse/raw/report_headers"
MARTS_URI = "postgres://warehouse/marts/rpt_headline_figures"

DEFAULT_ARGS = {"owner": "executive-committee-statistics", "retries": 2}


def configure_airflow() -> None:
    """Point Airflow at its own metadata database (never the warehouse schemas) and at dags/."""
    os.environ.setdefault("AIRFLOW_HOME", str(paths().airflow_home))
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(DAGS_DIR))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
    if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in os.environ:
        from .warehouse import airflow_metadata_url

        url = airflow_metadata_url()
        os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = url
        os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = url.replace(
            "+psycopg:", "+psycopg_async:", 1
        )
    Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)


def migrate_airflow_metadata() -> None:
    airflow = Path(sys.executable).with_name("airflow")
    result = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def load_dags():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag


def run_chain() -> dict[str, str]:
    """Run ingest -> transform -> publish in order with ``dag.test()``; return each run's state."""
    bag = load_dags()
    states = {}
    for dag_id in CHAIN:
        run = bag.dags[dag_id].test()
        states[dag_id] = str(run.state)
        if states[dag_id] != "success":
            raise RuntimeError(f"DAG {dag_id} ended {run.state}; see its task log above")
    return states


# -- task bodies -------------------------------------------------------------


def ingest_task(files: list[str] | None = None, dry_run: bool = False, sender: str | None = None) -> dict:
    """Ingest the landing area (or the given files); ``dry_run`` validates and summarises only."""
    from . import intake, landing, quality

    if files:
        outcomes = intake.ingest_files([Path(f) for f in files], sender=sender, dry_run=dry_run)
    else:  # the local folder, or the remote landing area when LANDING_URL is set
        outcomes = landing.ingest_landing_area(dry_run=dry_run)
    if not dry_run:
        quality.build_data_docs()
    summary = {
        "dry_run": dry_run,
        "loaded": [o.file_name for o in outcomes if o.status == "loaded"],
        "superseding": {o.file_name: o.supersedes for o in outcomes if o.supersedes},
        "rejected": {o.file_name: o.reasons for o in outcomes if o.status == "rejected"},
        "duplicates": [o.file_name for o in outcomes if o.status == "duplicate"],
        "warnings": {o.file_name: o.warnings for o in outcomes if o.warnings},
    }
    if dry_run:
        for outcome in outcomes:
            if outcome.summary is not None:
                print(outcome.summary.text())
    for name, reasons in summary["rejected"].items():
        print(f"{'WOULD REFUSE' if dry_run else 'REFUSED'} {name}:\n  " + "\n  ".join(reasons))
    print(
        f"intake{' (dry run: nothing loaded or moved)' if dry_run else ''}: "
        f"{len(summary['loaded'])} {'would load' if dry_run else 'loaded'}, "
        f"{len(summary['rejected'])} refused, {len(summary['duplicates'])} already seen, "
        f"{sum(map(len, summary['warnings'].values()))} warning(s) for review"
    )
    return summary


def transform_task() -> None:
    from .transform import build_warehouse

    build_warehouse()


def publish_task() -> dict:
    from .reports import write_headline_report

    report = write_headline_report()
    return {
        "csv": str(report.csv_path),
        "html": str(report.html_path),
        "years": [r["reporting_year"] for r in report.rows],
    }


def council_report_task(year: int | None = None, languages: tuple[str, ...] = ("ru", "en")) -> dict:
    """Render the Council report edition for ``year`` (default: the previous calendar year)."""
    import datetime as dt

    from .council_report import write_council_report

    year = int(year) if year else dt.date.today().year - 1
    edition = write_council_report(year, languages=tuple(languages))
    return {
        "year": year,
        "as_of": edition.as_of,
        "revisions": len(edition.revisions),
        "files": {name: str(path) for name, path in edition.files.items()},
    }
