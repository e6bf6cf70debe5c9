"""Run the DAGs in one process with ``dag.test()`` (the demo and the tests), no scheduler."""

from __future__ import annotations

from programme_monitoring.orchestration.names import CHAIN
from programme_monitoring.settings import DAGS_DIR


def load_dags():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag


def run_chain() -> dict[str, str]:
    """Run ingest -> transform -> publish in order with ``dag.test()``; return each run's state."""
    bag = load_dags()
    states = {}
    for dag_id in CHAIN:
        run = bag.dags[dag_id].test()
        states[dag_id] = str(run.state)
        if states[dag_id] != "success":
            raise RuntimeError(f"DAG {dag_id} ended {run.state}; see its task log above")
    return states
