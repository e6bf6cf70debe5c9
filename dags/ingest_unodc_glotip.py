"""UNODC GLOTIP: load a new release of the Global Report on Trafficking in Persons data.

Reads the storage area for external sources (`var/external/unodc/`, or
`UNODC_LANDING_DIR`): each workbook is checked (layout, units, one value per key, counts
or censoring marks, no formulas in data cells) and loaded exactly once (by content hash);
a later release supersedes the one in force, a refused one leaves it in force. README,
"UNODC GLOTIP".
"""

import pendulum
from airflow.sdk import Asset, dag, task
from programme_monitoring.orchestration.names import DEFAULT_ARGS, UNODC_DAG, UNODC_RAW_URI


@dag(
    dag_id=UNODC_DAG,
    schedule="@weekly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["intake", "external-source", "unodc"],
    doc_md=__doc__,
)
def ingest_unodc_glotip():
    @task(outlets=[Asset(UNODC_RAW_URI)])
    def check_and_load_releases() -> dict:
        from programme_monitoring.orchestration.tasks import unodc_ingest_task

        return unodc_ingest_task()

    check_and_load_releases()


ingest_unodc_glotip()
