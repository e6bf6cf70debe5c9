"""Notify senders: every day, the member states hear back in their outboxes.

Writes into `outbox/<sender>/` the receipts of decided files the intake did not write
(a crash between its commit and the write), a query letter per state with findings no
earlier letter cited (XLSX and PDF, numbered EC-Q-<year>-<state>-<NNNN>, recorded in
audit.query_letters), and a reminder of each report due within `reminder_days` days
and not received yet (once per report and deadline). The logic is in
`programme_monitoring.publishing.letters` and `programme_monitoring.intake.receipts`.
"""

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from programme_monitoring.orchestration.names import DEFAULT_ARGS, NOTIFY_DAG
from programme_monitoring.orchestration.tasks import notify_senders_task


@dag(
    dag_id=NOTIFY_DAG,
    schedule="0 7 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "reminder_days": Param(
            30, type="integer", minimum=0, description="Remind of reports due within this many days."
        ),
    },
    tags=["senders", "letters"],
    doc_md=__doc__,
)
def notify_senders():
    @task
    def answer_senders() -> dict:
        return notify_senders_task(reminder_days=int(get_current_context()["params"]["reminder_days"]))

    answer_senders()


notify_senders()
