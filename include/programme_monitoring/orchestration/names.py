"""DAG ids, the assets that chain the DAGs, and the default arguments every DAG shares.

Imported by the DAG files at every parse, so this module imports only the standard library.
"""

import datetime as dt

# DAG ids in the order the chain runs.
INGEST_DAG = "ingest_member_state_reports"
TRANSFORM_DAG = "transform_warehouse"
PUBLISH_DAG = "publish_headline_figures"
CHAIN = (INGEST_DAG, TRANSFORM_DAG, PUBLISH_DAG)
# The yearly report to the Council of Heads of State (not part of the chain: yearly, and
# again whenever the marts are republished).
COUNCIL_REPORT_DAG = "publish_council_report"

# Answers to senders (receipts left unwritten, query letters, reminders): daily.
NOTIFY_DAG = "notify_senders"

# UNODC GLOTIP releases (external source; its asset starts the transform like the reports').
UNODC_DAG = "ingest_unodc_glotip"
UNODC_RAW_URI = "postgres://warehouse/raw/unodc_glotip_values"

RAW_REPORTS_URI = "postgres://warehouse/raw/report_headers"
MARTS_URI = "postgres://warehouse/marts/rpt_headline_figures"
# Emitted by ingest_urs_extracts when an extract was loaded; starts the transform too.
URS_EVENTS_URI = "postgres://warehouse/raw/urs_events"

# No task runs unbounded: one hung (on a lock another holds, a stalled mount or server) is
# stopped after TASK_TIMEOUT and retried (after Airflow's default_task_retry_delay); its
# warehouse locks end with its connections. The longest task measured, a full rebuild at
# 10x the largest benchmark volume, takes minutes.
TASK_TIMEOUT = dt.timedelta(hours=2)
DEFAULT_ARGS = {"owner": "executive-committee-statistics", "retries": 2, "execution_timeout": TASK_TIMEOUT}
