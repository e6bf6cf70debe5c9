"""Every DAG imports cleanly, is tagged, retries, stops a hung task, and the chain is wired
through assets."""

from __future__ import annotations

import pytest
from programme_monitoring.orchestration.names import CHAIN, MARTS_URI, RAW_REPORTS_URI, TASK_TIMEOUT


@pytest.fixture(scope="module")
def dagbag(airflow_ready):
    from airflow.dag_processing.dagbag import DagBag
    from programme_monitoring.settings import DAGS_DIR

    return DagBag(dag_folder=str(DAGS_DIR))


def test_every_dag_imports(dagbag):
    assert dagbag.import_errors == {}
    assert set(CHAIN) <= set(dagbag.dag_ids)


def test_every_dag_has_tags_retries_a_timeout_and_no_catchup(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.catchup is False, dag_id
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag_id}.{task.task_id} does not retry"
            assert task.execution_timeout == TASK_TIMEOUT, f"{dag_id}.{task.task_id} may run unbounded"


def _uris(assets) -> set[str]:
    return {asset.uri for asset in assets}


def test_chain_is_linked_by_assets(dagbag):
    ingest, transform, publish = (dagbag.dags[dag_id] for dag_id in CHAIN)
    assert RAW_REPORTS_URI in {uri for t in ingest.tasks for uri in _uris(t.outlets)}
    assert RAW_REPORTS_URI in _uris(transform.timetable.asset_condition.objects)
    assert MARTS_URI in {uri for t in transform.tasks for uri in _uris(t.outlets)}
    assert MARTS_URI in _uris(publish.timetable.asset_condition.objects)


def test_every_raw_load_starts_the_transform(dagbag):
    """Whatever loads raw data (member states' reports, URS extracts, a UNODC release) emits an
    asset the transform is scheduled on, so no load waits for the next report to be published."""
    from programme_monitoring.orchestration.names import TRANSFORM_DAG

    consumed = _uris(dagbag.dags[TRANSFORM_DAG].timetable.asset_condition.objects)
    raw_outlets = {
        uri
        for dag_id, dag in dagbag.dags.items()
        if dag_id != TRANSFORM_DAG
        for task in dag.tasks
        for uri in _uris(task.outlets)
        if uri.startswith("postgres://warehouse/raw/")
    }
    assert len(raw_outlets) >= 3, raw_outlets
    assert raw_outlets <= consumed, raw_outlets - consumed
