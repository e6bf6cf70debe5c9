"""URS end to end: no identifier survives intake, pseudonyms are keyed, small counts are suppressed.

The extracts carry sentinel identifiers; after a real Airflow run of ingest_urs_extracts
(dag.test(), its task run by Airflow's supervisor as a worker runs it) and a dbt build of
the URS models, every text column of every table of the warehouse and of Airflow's metadata
database, PostgreSQL's server log, the Airflow task logs and the captured console output are
searched for them. The marts of that run are checked too: exact counts, suppression.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import psycopg
import pytest
from programme_monitoring.orchestration.tasks import urs_ingest_task
from programme_monitoring.urs.pseudonym import KEY_ENV, pseudonym
from psycopg import sql
from urs_samples import (
    BIRTH,
    KEY,
    NAME,
    PASSPORT,
    SENTINELS,
    deterministic_rows,
    row,
    sentinel_url,
    write_csv,
)


@pytest.fixture(scope="module")
def urs_url(warehouse_url):
    """A database of its own on the session's server for the URS run: the warehouse database
    holds other tests' URS extracts, pseudonymised with another key (which the intake refuses
    to mix)."""
    admin = warehouse_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("drop database if exists urs_test with (force)")
        conn.execute("create database urs_test")
    yield warehouse_url.rsplit("/", 1)[0] + "/urs_test"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("drop database if exists urs_test with (force)")


# (column position, sentinel identifier written there) for lines 4-9 of the refused extract.
IDENTIFIERS_EVERYWHERE = [
    (0, PASSPORT),  # event_type
    (1, NAME),  # passport_number: a name
    (5, NAME),  # purpose_of_visit
    (6, BIRTH),  # host_state
    (7, f"{PASSPORT} {NAME}"),  # border_crossing_point
    (8, NAME),  # event_date
]


@pytest.fixture(scope="module")
def urs_run(airflow_ready, urs_url, tmp_path_factory):
    """Extracts in a URS landing area -> the DAG with dag.test() (sentinel key and password) -> dbt."""
    landing = tmp_path_factory.mktemp("urs-landing")
    write_csv(landing / "urs_2016_01.csv", deterministic_rows())
    # A refused extract: the sentinel name shifted into the citizenship column, one field short,
    # then a sentinel identifier in each kept column in turn (lines 4-9), then a good line.
    good = ("entry", PASSPORT, NAME, BIRTH, "VNM", "work", "KZ", "KZ-ALMATY-AIR", "2016-02-03")
    write_csv(
        landing / "urs_2016_02_bad.csv",
        [
            row("entry", PASSPORT, NAME, "work", "2016-02-01", NAME, BIRTH),
            ("entry", PASSPORT, NAME, BIRTH, "VNM", "work", "KZ", "2016-02-02"),
            *[good[:column] + (value,) + good[column + 1 :] for column, value in IDENTIFIERS_EVERYWHERE],
            good,
        ],
    )
    # An extract whose every line is right but for identifiers written as the crossing point:
    # the case (free text there was stored as written), refused now.
    write_csv(
        landing / "urs_2016_03_free_text.csv",
        [good[:7] + (f"{PASSPORT} {NAME}",) + good[8:], good[:7] + (f"{BIRTH} {PASSPORT}",) + good[8:]],
    )
    with_sentinel = sentinel_url(urs_url)
    saved = {k: os.environ.get(k) for k in ("WAREHOUSE_URL", KEY_ENV, "URS_LANDING_DIR")}
    os.environ.update({"WAREHOUSE_URL": with_sentinel, KEY_ENV: KEY, "URS_LANDING_DIR": str(landing)})
    try:
        from programme_monitoring.orchestration.local_runs import load_dags

        with capture_output() as console:
            run, exit_code, task_log = run_task_as_a_worker(load_dags().dags["ingest_urs_extracts"])
            # The same landing area again through the command line's path, in this process:
            # the good extract is recognised, the bad one refused again, a summary printed.
            cli_summary = urs_ingest_task()
        from programme_monitoring.warehouse.dbt_process import run_dbt

        # The URS marts and what their tests compare with (the reference states); tests that
        # also need the report intake's tables (not in this database) are left out.
        dbt_output = run_dbt(
            "build",
            "--select",
            "+path:models/marts/urs",
            "+stg_reference__member_states",
            "--indirect-selection",
            "cautious",
        )
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {
        "state": str(run.state),
        "exit_code": exit_code,
        "task_log": task_log,
        "run_id": run.run_id,
        "landing": landing,
        "dbt": dbt_output,
        "console": console.read_text(errors="replace"),
        "cli_summary": cli_summary,
    }


def run_task_as_a_worker(dag):
    """Run the DAG's task the way an Airflow worker does, so that Airflow writes its task log.

    dag.test() runs tasks inside the test process and writes no task log file. Here dag.test()
    only creates the run (the task marked done without running); the task is then queued
    again and run by Airflow's supervisor (``supervise_task``): a child process that parses the
    DAG file, runs the task and writes the task log under ``logging.base_log_folder`` at INFO,
    through Airflow's secrets masker. Returns (dag run, exit code, path of the task log).
    """
    from airflow.configuration import conf
    from airflow.models.taskinstance import TaskInstance
    from airflow.sdk.api.datamodels._generated import BundleInfo
    from airflow.sdk.api.datamodels._generated import TaskInstance as WorkerTaskInstance
    from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor, supervise_task
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    run = dag.test(mark_success_pattern="pseudonymise_and_load")
    with create_session() as session:
        ti = session.query(TaskInstance).filter_by(dag_id=dag.dag_id, run_id=run.run_id).one()
        ti.state = TaskInstanceState.QUEUED
        ti.try_number += 1
        session.merge(ti)
        worker_ti = WorkerTaskInstance(
            id=ti.id,
            task_id=ti.task_id,
            dag_id=ti.dag_id,
            run_id=ti.run_id,
            try_number=ti.try_number,
            map_index=ti.map_index,
            dag_version_id=ti.dag_version_id,
        )
    relative = f"dag_id={dag.dag_id}/run_id={run.run_id}/task_id={ti.task_id}/attempt={ti.try_number}.log"
    level, env_level = conf.get("logging", "logging_level"), os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL")
    conf.set("logging", "logging_level", "INFO")  # the session runs at WARNING; a worker logs INFO
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "INFO"  # the task process configures from it
    try:
        exit_code = supervise_task(
            ti=worker_ti,
            bundle_info=BundleInfo(name="dags-folder"),
            dag_rel_path=Path(dag.fileloc).name,
            token="",
            client=InProcessTestSupervisor._api_client(dag),
            log_path=relative,
        )
    finally:
        conf.set("logging", "logging_level", level)
        if env_level is None:
            os.environ.pop("AIRFLOW__LOGGING__LOGGING_LEVEL", None)
        else:
            os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = env_level
    return run, exit_code, Path(conf.get("logging", "base_log_folder")) / relative


@contextlib.contextmanager
def capture_output():
    """Everything written to sys.stdout/sys.stderr and to file descriptors 1 and 2."""
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.NamedTemporaryFile(prefix="urs-console-", delete=False) as sink:
        saved = os.dup(1), os.dup(2)
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        text = open(sink.name, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
        try:
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                yield Path(sink.name)
        finally:
            text.close()
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def test_dag_run_succeeded(urs_run):
    assert urs_run["state"] == "success"
    assert urs_run["exit_code"] == 0  # the task, run by Airflow's supervisor as a worker runs it


def test_ledger_has_one_loaded_and_one_refused_extract(urs_run, urs_url):
    with psycopg.connect(urs_url) as conn:
        rows = dict(
            conn.execute(
                "select source_file, status from audit.urs_extract_ledger where source_file like 'urs_2016_%'"
            ).fetchall()
        )
        reason = conn.execute(
            "select reason from audit.urs_extract_ledger where source_file = 'urs_2016_02_bad.csv'"
        ).fetchone()[0]
        bad_rows = conn.execute(
            "select count(*) from raw.urs_events where source_file = 'urs_2016_02_bad.csv'"
        ).fetchone()[0]
    assert rows == {
        "urs_2016_01.csv": "loaded",
        "urs_2016_02_bad.csv": "rejected",
        "urs_2016_03_free_text.csv": "rejected",
    }
    assert "line 2: invalid citizenship / строка 2: недопустимое значение в столбце citizenship\n" in reason
    assert "line 3: 8 fields, the header has 9 / строка 3: число полей (8) не совпадает" in reason
    columns = ("event_type", "passport_number", "purpose_of_visit", "host_state", "border_crossing_point")
    for line, column in enumerate((*columns, "event_date"), start=4):
        expected = f"line {line}: invalid {column} / строка {line}: недопустимое значение в столбце {column}"
        assert expected + "\n" in reason + "\n", (line, column)
    assert "line 10" not in reason
    with psycopg.connect(urs_url) as conn:
        free_text = conn.execute(
            "select reason from audit.urs_extract_ledger where source_file = 'urs_2016_03_free_text.csv'"
        ).fetchone()[0]
    assert free_text == "\n".join(
        f"line {line}: invalid border_crossing_point / "
        f"строка {line}: недопустимое значение в столбце border_crossing_point"
        for line in (2, 3)
    )
    assert bad_rows == 0


def _text_columns(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(
        """select c.table_schema, c.table_name, c.column_name from information_schema.columns c
           join information_schema.tables t using (table_schema, table_name)
           where t.table_type = 'BASE TABLE'
             and c.table_schema not in ('pg_catalog', 'information_schema')
             and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')"""
    ).fetchall()


def _find_sentinels(url: str, database: str) -> list[str]:
    found = []
    target = url.rsplit("/", 1)[0] + "/" + database
    with psycopg.connect(target) as conn:
        patterns = [f"%{s}%" for s in SENTINELS]
        for schema, table, column in _text_columns(conn):
            query = sql.SQL("select count(*) from {} where {}::text ilike any(%s)").format(
                sql.Identifier(schema, table), sql.Identifier(column)
            )
            if conn.execute(query, (patterns,)).fetchone()[0]:
                found.append(f"{database}.{schema}.{table}.{column}")
    return found


def test_no_identifier_or_secret_in_any_table_of_the_warehouse_or_airflow(urs_run, warehouse_url):
    found = [f for db in ("urs_test", "warehouse", "airflow") for f in _find_sentinels(warehouse_url, db)]
    assert not found, found


def test_no_identifier_in_a_dump_or_in_the_servers_files(urs_run, urs_url):
    """pg_dump of the URS database, and every file of the server's data directory (tables,
    indexes, WAL: rolled-back rows included) after a checkpoint, hold no identifier."""
    import subprocess

    from programme_monitoring.warehouse.connection import embedded_server
    from programme_monitoring.warehouse.embedded import POSTGRES_BIN_PATH

    dump = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_dump"), "--dbname", urs_url], capture_output=True, check=True
    ).stdout
    assert b"urs_events" in dump and b"urs_extract_ledger" in dump  # the dump holds the URS tables
    identifiers = [s.encode() for s in (PASSPORT, "Sentinelova", "Zqxjwy", BIRTH)]
    assert not [s for s in identifiers if s in dump]
    with psycopg.connect(urs_url, autocommit=True) as conn:
        conn.execute("checkpoint")
    files = [p for p in embedded_server().pgdata.rglob("*") if p.is_file() and p.name != "server.log"]
    assert len(files) > 100
    found = set()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:  # a file the server removed meanwhile
            continue
        found |= {(s, path.name) for s in identifiers if s in data}
    assert not found, found


def test_no_identifier_or_secret_in_the_postgresql_log(urs_run):
    from programme_monitoring.warehouse.connection import embedded_server

    log = embedded_server().log_file.read_text(errors="replace")
    assert log  # the server writes there
    assert not [s for s in SENTINELS if s.lower() in log.lower()]


def test_no_identifier_or_secret_in_the_console_or_dbt_output(urs_run):
    console = urs_run["console"]
    # The output was captured: the in-process run printed its summary (the worker's went to the task log).
    assert "URS intake: 0 extract(s) loaded (0 events), 2 refused, 1 already seen" in console
    assert urs_run["cli_summary"]["duplicates"] == ["urs_2016_01.csv"]
    assert list(urs_run["cli_summary"]["rejected"]) == ["urs_2016_02_bad.csv", "urs_2016_03_free_text.csv"]
    assert "Completed successfully" in urs_run["dbt"]
    text = (console + urs_run["dbt"] + json.dumps(urs_run["cli_summary"])).lower()
    assert not [s for s in SENTINELS if s.lower() in text]


def test_no_identifier_or_secret_in_airflow_task_logs_or_xcom(urs_run, warehouse_url):
    # The task log exists and is this task's log: Airflow's lines and the task's own summary.
    task_log = urs_run["task_log"]
    assert task_log.is_file(), task_log
    text = task_log.read_text(errors="replace")
    assert "URS intake: 1 extract(s) loaded (22 events), 2 refused, 0 already seen" in text
    assert "Done. Returned value was" in text
    # ... and neither it nor any other file under Airflow's log folder holds an identifier or a secret.
    home = Path(os.environ["AIRFLOW_HOME"])
    logs = [p for p in home.rglob("*") if p.is_file() and p.suffix == ".log"]
    assert task_log.resolve() in {p.resolve() for p in logs} or not task_log.is_relative_to(home)
    text += "\n".join(p.read_text(errors="replace") for p in logs)
    assert not [s for s in SENTINELS if s.lower() in text.lower()]

    with psycopg.connect(warehouse_url.rsplit("/", 1)[0] + "/airflow") as conn:
        xcom = conn.execute(
            "select key, value::text from xcom where dag_id = 'ingest_urs_extracts' and run_id = %s",
            (urs_run["run_id"],),
        ).fetchall()
    values = dict(xcom)
    assert "return_value" in values, xcom  # the run's return value is there ...
    returned = json.loads(values["return_value"])
    assert returned["loaded"] == {"urs_2016_01.csv": 22}
    assert list(returned["rejected"]) == ["urs_2016_02_bad.csv", "urs_2016_03_free_text.csv"]
    assert not [s for s in SENTINELS if any(s.lower() in v.lower() for v in values.values())]  # ... clean


# -- pseudonyms and the marts of that run ---------------------------------------------


def test_pseudonyms_in_the_warehouse_are_the_keyed_hmac(urs_run, urs_url):
    with psycopg.connect(urs_url) as conn:
        stored = {
            r[0]
            for r in conn.execute(
                "select person_pseudonym from raw.urs_events where source_file = 'urs_2016_01.csv'"
            )
        }
    expected = {pseudonym(KEY.encode(), r[1], r[4]) for r in deterministic_rows()}
    assert stored == expected
    assert len(stored) == 10 + 7 + 2 + 1  # the sentinel's two passport spellings are one person


def _shared(conn, month=date(2016, 1, 1), state="KZ", indicator="URS01"):
    return conn.execute(
        """select row_type, citizenship_code, purpose_of_visit, event_count, person_count, is_suppressed
           from marts.rpt_urs_indicators_shared
           where event_month = %s and host_state_code = %s and indicator_code = %s
           order by row_type, citizenship_code""",
        (month, state, indicator),
    ).fetchall()


def test_exact_counts_and_distinct_persons(urs_run, urs_url):
    with psycopg.connect(urs_url) as conn:
        rows = conn.execute(
            """select indicator_code, citizenship_code, event_count, person_count
               from marts.fct_urs_indicators_monthly
               where event_month = '2016-01-01' and state_code = 'KZ' order by 1, 2"""
        ).fetchall()
    assert rows == [
        ("URS01", "CHN", 10, 10),
        ("URS01", "IND", 7, 7),
        ("URS01", "VNM", 4, 3),
        ("URS03", "VNM", 1, 1),
        ("URS04", "CHN", 10, 10),
        ("URS04", "IND", 7, 7),
        ("URS04", "VNM", 5, 3),
    ]


def test_primary_and_secondary_suppression(urs_run, urs_url):
    with psycopg.connect(urs_url) as conn:
        assert _shared(conn) == [
            ("cell", "CHN", "work", 10, 10, False),
            ("cell", "IND", "work", None, None, True),  # the next smallest protects VNM
            ("cell", "VNM", "work", None, None, True),  # (which one is small is not said)
            ("total", None, None, 21, 20, False),  # 21 - 10 = 11: the two hidden cells stay hidden
        ]
        # One offence by one person: suppressed, and so is the total that would equal it.
        # URS04 counts the same persons: VNM and its complement IND are suppressed there too.
        assert _shared(conn, indicator="URS04") == [
            ("cell", "CHN", "work", 10, 10, False),
            ("cell", "IND", "work", None, None, True),
            ("cell", "VNM", "work", None, None, True),
            ("total", None, None, 22, 20, False),
        ]
        assert _shared(conn, indicator="URS03") == [
            ("cell", "VNM", "work", None, None, True),
            ("total", None, None, None, None, True),
        ]


def test_no_small_count_is_visible_and_no_lone_suppressed_cell(urs_run, urs_url):
    with psycopg.connect(urs_url) as conn:
        small = conn.execute(
            """select count(*) from marts.rpt_urs_indicators_shared
               where event_count between 1 and 4 or person_count between 1 and 4"""
        ).fetchone()[0]
        lone = conn.execute(
            """select count(*) from (
                 select indicator_code, event_month, host_state_code from marts.rpt_urs_indicators_shared
                 where row_type = 'cell' group by 1, 2, 3
                 having count(*) filter (where is_suppressed) = 1 and count(*) > 1) g"""
        ).fetchone()[0]
        # Where a total is shown, total minus the visible cells never gives a count below 5.
        recoverable = conn.execute(
            """select count(*) from (
                 select t.event_count - coalesce(sum(c.event_count), 0) as hidden,
                        count(*) filter (where c.is_suppressed) as suppressed
                 from marts.rpt_urs_indicators_shared t
                 join marts.rpt_urs_indicators_shared c
                   on c.row_type = 'cell' and (c.indicator_code, c.event_month, c.host_state_code)
                      = (t.indicator_code, t.event_month, t.host_state_code)
                 where t.row_type = 'total' and t.event_count is not null
                 group by t.indicator_code, t.event_month, t.host_state_code, t.event_count) g
               where suppressed > 0 and hidden < 5"""
        ).fetchone()[0]
        cells = conn.execute("select count(*) from marts.rpt_urs_indicators_shared").fetchone()[0]
    assert cells > 0
    assert (small, lone, recoverable) == (0, 0, 0)
