"""Ingest: member-state reports in the landing area -> Great Expectations -> raw tables.

Emits the raw-reports asset when at least one report was loaded, which starts the
transform DAG. Refused files go to the quarantine with a reason.
"""

import pendulum
from airflow.sdk import Asset, dag, task
from airflow.sdk.exceptions import AirflowSkipException
from programme_monitoring.orchestration.names import DEFAULT_ARGS, INGEST_DAG, RAW_REPORTS_URI
from programme_monitoring.orchestration.tasks import ingest_task


@dag(
    dag_id=INGEST_DAG,
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["intake", "great-expectations"],
    doc_md=__doc__,
)
def ingest_member_state_reports():
    @task(outlets=[Asset(RAW_REPORTS_URI)])
    def ingest_landing_area() -> dict:
        summary = ingest_task()
        if not summary["loaded"]:
            raise AirflowSkipException("no new report was loaded: nothing to transform")
        return summary

    ingest_landing_area()


ingest_member_state_reports()
