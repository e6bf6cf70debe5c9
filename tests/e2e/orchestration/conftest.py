"""The deployment's own tests (a real Airflow scheduler, api-server, dag-processor and
triggerer as processes; two Celery workers over Redis) take 10-30 minutes on a 2-CPU machine,
twice the rest of the suite: they run when asked for, ``PM_DEPLOYMENT_TESTS=1 bin/test
tests/e2e/orchestration``, and are skipped with this reason otherwise."""

from __future__ import annotations

import os

import pytest

DEPLOYMENT_TESTS = "PM_DEPLOYMENT_TESTS"


def pytest_collection_modifyitems(config, items):
    if os.environ.get(DEPLOYMENT_TESTS) == "1":
        return
    skip = pytest.mark.skip(
        reason=f"deployment tests (real scheduler, Celery) run with {DEPLOYMENT_TESTS}=1: 10-30 min on 2 CPUs"
    )
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(skip)
