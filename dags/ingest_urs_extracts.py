"""URS statistics feed: pseudonymise URS extracts in the URS landing area and load them.

Identifiers are replaced by keyed pseudonyms before anything reaches the database; the key
(`URS_PSEUDONYM_KEY` or the Variable `urs_pseudonym_key` from a secrets backend) and the
warehouse password are masked in this task's log. Format: docs/urs_extract_format.md.
"""

import pendulum
from airflow.sdk import Asset, dag, task
from programme_monitoring.orchestration.names import DEFAULT_ARGS

URS_EVENTS_URI = "postgres://warehouse/raw/urs_events"


@dag(
    dag_id="ingest_urs_extracts",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["intake", "urs", "personal-data"],
    doc_md=__doc__,
)
def ingest_urs_extracts():
    @task(outlets=[Asset(URS_EVENTS_URI)])
    def pseudonymise_and_load() -> dict:
        from programme_monitoring.orchestration.tasks import urs_ingest_task

        return urs_ingest_task()

    pseudonymise_and_load()


ingest_urs_extracts()
