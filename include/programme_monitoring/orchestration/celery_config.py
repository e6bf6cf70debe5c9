"""The Celery settings of ``airflow celery worker``: Airflow's own, plus the task libraries preloaded.

Named by ``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS`` (docker-compose.yml, ``dev.airflow_stack``).
Celery imports the modules of ``imports`` in the worker's main process before it starts its
pool, so each pool process, and each task process forked from one, starts with the
libraries of ``orchestration.preload`` loaded.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG = {
    **DEFAULT_CELERY_CONFIG,
    "imports": [*DEFAULT_CELERY_CONFIG.get("imports", ()), "programme_monitoring.orchestration.preload"],
}
