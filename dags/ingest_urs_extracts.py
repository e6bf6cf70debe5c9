"""URS statistics feed: pseudonymise URS extracts in the URS landing area and load them.

Identifiers are replaced by keyed pseudonyms before anything reaches the database; the key
(`URS_PSEUDONYM_KEY` or the Variable `urs_pseudonym_key` from a secrets backend) and the
warehouse password are masked in this task's log. Format: docs/urs_extract_format.md.
Without a key the run skips, naming the variable; a run that loaded an extract emits the
URS asset, which starts the transform.
"""

import pendulum
from airflow.sdk import Asset, dag, task
from airflow.sdk.exceptions import AirflowSkipException
from programme_monitoring.orchestration.names import DEFAULT_ARGS, URS_EVENTS_URI


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
        from programme_monitoring.orchestration.tasks import NoDataYet, urs_ingest_task

        try:
            summary = urs_ingest_task()
        except NoDataYet as reason:
            raise AirflowSkipException(str(reason)) from reason
        if not summary["loaded"]:
            raise AirflowSkipException("no new URS extract was loaded: nothing to transform")
        return summary

    pseudonymise_and_load()


ingest_urs_extracts()
