"""Transform: dbt build of staging -> intermediate -> marts, with dbt's data tests.

Started when the ingest DAG loads new reports, the URS DAG loads new extracts or the UNODC
DAG loads a new GLOTIP release; emits the marts asset for publishing.
"""

import pendulum
from airflow.sdk import Asset, dag, task
from programme_monitoring.orchestration.names import (
    DEFAULT_ARGS,
    MARTS_URI,
    RAW_REPORTS_URI,
    TRANSFORM_DAG,
    UNODC_RAW_URI,
    URS_EVENTS_URI,
)
from programme_monitoring.orchestration.tasks import transform_task


@dag(
    dag_id=TRANSFORM_DAG,
    schedule=Asset(RAW_REPORTS_URI) | Asset(URS_EVENTS_URI) | Asset(UNODC_RAW_URI),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["dbt", "warehouse"],
    doc_md=__doc__,
)
def transform_warehouse():
    @task(outlets=[Asset(MARTS_URI)])
    def dbt_build() -> None:
        transform_task()

    dbt_build()


transform_warehouse()
