"""notify_senders end to end with dag.test(), after the session's real chain on the samples.

Every file the chain's intake decided has its receipt in its sender's outbox (and only
there), each state with findings gets its numbered query letter, and a second run
writes nothing new.
"""

from __future__ import annotations

import psycopg
from programme_monitoring.settings import paths


def _outbox() -> dict[str, bytes]:
    root = paths().outbox
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_dag_answers_every_sender_in_its_own_outbox_once(chain_run, warehouse_url):
    from programme_monitoring.orchestration.local_runs import load_dags
    from programme_monitoring.orchestration.names import NOTIFY_DAG

    dag = load_dags().dags[NOTIFY_DAG]
    assert str(dag.test().state) == "success"
    with psycopg.connect(warehouse_url) as conn:
        decided = conn.execute(
            "select file_sha256, sender, status, warnings from audit.import_summary"
        ).fetchall()
        states = {s for (s,) in conn.execute("select distinct state_code from marts.rpt_validation_findings")}
        letters = dict(conn.execute("select state_code, letter_number from audit.query_letters").fetchall())
    assert decided and states
    files = _outbox()
    for sha, sender, status, warnings in decided:
        decision = "refused" if status == "rejected" else "accepted_with_warnings" if warnings else "accepted"
        assert {f"{sender}/{sha}.{decision}.json", f"{sender}/{sha}.{decision}.txt"} <= set(files)
        assert [name for name in files if sha in name and not name.startswith(f"{sender}/")] == []
    assert set(letters) == states
    for state, number in letters.items():
        assert {f"{state.lower()}/{number}.pdf", f"{state.lower()}/{number}.xlsx"} <= set(files)
    assert str(dag.test().state) == "success"
    assert _outbox() == files
    with psycopg.connect(warehouse_url) as conn:
        again = dict(conn.execute("select state_code, letter_number from audit.query_letters").fetchall())
    assert again == letters
