"""Publish: the headline-figures table per year (the shape of the 2014 statement), as CSV and HTML.

Started when the transform DAG has rebuilt the marts.
"""

import pendulum
from airflow.sdk import Asset, dag, task
from programme_monitoring.orchestration.names import DEFAULT_ARGS, MARTS_URI, PUBLISH_DAG
from programme_monitoring.orchestration.tasks import publish_task


@dag(
    dag_id=PUBLISH_DAG,
    schedule=[Asset(MARTS_URI)],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["reports"],
    doc_md=__doc__,
)
def publish_headline_figures():
    @task
    def write_headline_report() -> dict:
        return publish_task()

    write_headline_report()


publish_headline_figures()
