"""Council report: the yearly report on implementation for the Council of Heads of State.

Runs every 1 April (the reports on the previous year are due by 1 March) for the previous
year, and again whenever the transform DAG republishes the marts, so the edition always
shows the figures in force. Trigger it with the param `year` for any other year.
Output: `reports/council_report_<year>/` (ru.pdf, en.pdf, ru.html, en.html, annex.xlsx,
edition.json).
"""

import pendulum
from airflow.sdk import (
    Asset,
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    Param,
    dag,
    get_current_context,
    task,
)
from programme_monitoring.orchestration.names import COUNCIL_REPORT_DAG, DEFAULT_ARGS, MARTS_URI
from programme_monitoring.orchestration.tasks import council_report_task


@dag(
    dag_id=COUNCIL_REPORT_DAG,
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 6 1 4 *", timezone="UTC"),
        assets=[Asset(MARTS_URI)],
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "year": Param(
            None,
            type=["null", "integer"],
            minimum=2014,
            description="Reporting year; empty = the year before the run.",
        )
    },
    tags=["reports", "council"],
    doc_md=__doc__,
)
def publish_council_report():
    @task
    def render_council_report() -> dict:
        context = get_current_context()
        year = context["params"].get("year")
        if not year:
            run_after = context["dag_run"].run_after or pendulum.now("UTC")
            year = run_after.year - 1
        return council_report_task(year)

    render_council_report()


publish_council_report()
