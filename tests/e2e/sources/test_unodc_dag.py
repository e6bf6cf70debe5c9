"""ingest_unodc_glotip end to end with dag.test(): a release from the storage area for external
sources is loaded once, a release of a changed layout is refused and the first stays in force."""

from __future__ import annotations

import os

import psycopg
import pytest
from glotip_samples import member_rows, write_release
from programme_monitoring.sources.glotip import EXPECTED_COLUMNS


@pytest.fixture
def landing(warehouse_url, tmp_path):
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("delete from raw.unodc_glotip_values")
        conn.execute("delete from audit.unodc_release_ledger")
    saved = os.environ.get("UNODC_LANDING_DIR")
    os.environ["UNODC_LANDING_DIR"] = str(tmp_path)
    yield tmp_path
    if saved is None:
        os.environ.pop("UNODC_LANDING_DIR", None)
    else:
        os.environ["UNODC_LANDING_DIR"] = saved


def test_the_dag_loads_a_release_once_and_refuses_a_changed_layout(airflow_ready, warehouse_url, landing):
    from programme_monitoring.orchestration.local_runs import load_dags
    from programme_monitoring.orchestration.names import UNODC_DAG

    rows = member_rows()
    write_release(landing / "glotip_2023-05-30.xlsx", rows)
    header = [c if c != "Unit of measurement" else "Unit" for c in EXPECTED_COLUMNS]
    write_release(landing / "glotip_2024-06-01.xlsx", rows, release="01/06/2024", header=header)
    dag = load_dags().dags[UNODC_DAG]
    assert str(dag.test().state) == "success"
    assert str(dag.test().state) == "success"  # again: nothing changes
    with psycopg.connect(warehouse_url) as conn:
        ledger = dict(conn.execute("select source_file, status from audit.unodc_release_ledger").fetchall())
        (count,) = conn.execute("select count(*) from raw.unodc_glotip_values").fetchone()
    assert ledger == {"glotip_2023-05-30.xlsx": "loaded", "glotip_2024-06-01.xlsx": "rejected"}
    assert count == 3_055
