"""Council report: the yearly report on implementation for the Council of Heads of State.

Runs every 1 April (the reports on the previous year are due by 1 March) for the previous
year (or the latest year with figures before it), and again whenever the transform DAG
republishes the marts, then for the latest year with figures, so the edition always shows
the figures in force. Trigger it with the param `year` for any other year. Skips while the
marts hold no year at all.
Params `approved_only` (figures of the approved report versions only: builds
`marts_approved` first, and the edition names the reports not approved yet) and `publish`
(the published edition: locks its year, so later versions are held until an approver
unlocks them); the automatic runs render drafts, which lock nothing.
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
from airflow.sdk.exceptions import AirflowSkipException
from programme_monitoring.orchestration.names import COUNCIL_REPORT_DAG, DEFAULT_ARGS, MARTS_URI
from programme_monitoring.orchestration.tasks import NoDataYet, council_report_task


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
            description="Reporting year; empty = the latest year with figures.",
        ),
        "approved_only": Param(
            False, type="boolean", description="Approved report versions only (not the latest received)."
        ),
        "publish": Param(False, type="boolean", description="Publish the edition: lock its year."),
    },
    tags=["reports", "council"],
    doc_md=__doc__,
)
def publish_council_report():
    @task
    def render_council_report() -> dict:
        context = get_current_context()
        run = context["dag_run"]
        not_after = None  # started by a marts update or by hand: the latest year with figures
        if str(getattr(run, "run_type", "")).lower().endswith("scheduled"):  # 1 April: the year before
            not_after = (run.run_after or pendulum.now("UTC")).year - 1
        try:
            params = context["params"]
            return council_report_task(
                params.get("year"),
                not_after=not_after,
                approved_only=bool(params.get("approved_only")),
                publish=bool(params.get("publish")),
            )
        except NoDataYet as reason:
            raise AirflowSkipException(str(reason)) from reason

    render_council_report()


publish_council_report()
