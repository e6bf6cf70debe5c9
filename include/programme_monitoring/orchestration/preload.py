"""Heavy libraries imported once per Airflow worker, so that each task starts with them loaded.

Airflow runs each task in a process forked from a long-lived worker process: under the
LocalExecutor one of the scheduler's worker processes, under the CeleryExecutor a pool
process of ``airflow celery worker``. A task that imports Great Expectations, dbt or pandas
itself pays seconds of imports before it reads one row (Great Expectations alone 4-6 s on
the 2-CPU machines here, dbt 3-4 s), on every run. Imported here, in the worker, before the
fork, they are shared copy-on-write by every task: what Airflow's Celery executor does for
its own operators (``on_celery_import_modules``).

The deployment names this module (docker-compose.yml, ``dev.airflow_stack``):

* LocalExecutor: ``AIRFLOW__SCHEDULER__MP_START_METHOD=forkserver`` and
  ``AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD=programme_monitoring.orchestration.preload``:
  the scheduler's worker processes are forked from a server process that imported it;
* CeleryExecutor: ``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS`` names
  ``orchestration.celery_config.CELERY_CONFIG``, whose ``imports`` the Celery worker imports
  before it starts its pool.

Everything here runs before a fork: it imports, and fills the caches dbt would otherwise
fill in every transform (``dbt_process.warm_up``, reading the dbt project's saved parse state
if a build left one). It opens no connection, starts no thread and reads no setting that a
task could change. Reading the parse state creates a dbt lock, which starts Python's resource
tracker (a helper process, as a forkserver starts one); each dbt child uses one of its own.
"""

from __future__ import annotations

import dbt.adapters.postgres  # noqa: F401
import dbt.cli.main  # noqa: F401  about 3 s; the transform forks its dbt from the task (dbt_process)
import dbt.compilation  # noqa: F401
import dbt.task.build  # noqa: F401
import great_expectations  # noqa: F401  4-6 s: scipy.stats, altair, the checkpoint actions
import numpy  # noqa: F401
import openpyxl  # noqa: F401
import pandas  # noqa: F401
import psycopg  # noqa: F401

# The package's own modules that import the above at their top.
import programme_monitoring.intake.ingest  # noqa: F401
import programme_monitoring.quality.validation  # noqa: F401
import programme_monitoring.warehouse.transform  # noqa: F401
from programme_monitoring.warehouse.dbt_process import warm_up

warm_up()
