"""URS statistics feed: no identifier survives intake, pseudonyms are keyed, small counts are suppressed.

The extracts carry sentinel identifiers; after a real Airflow run of ingest_urs_extracts
(dag.test()) and a dbt build of the URS models, every text column of every table of the
warehouse and of Airflow's metadata database, PostgreSQL's server log, the Airflow task
logs and the captured console output are searched for them.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import psycopg
import pytest
from programme_monitoring.orchestration.tasks import urs_ingest_task
from programme_monitoring.urs import extract as urs
from psycopg import sql

PASSPORT = "ZQSENTINEL918273"
NAME = "Sentinelova Zqxjwy"
BIRTH = "1901-02-03"
KEY = "KEYSENTINEL-zq-" + "7" * 40
PASSWORD = "PWSENTINEL-zq-4431"
SENTINELS = (PASSPORT, "Sentinelova", "Zqxjwy", BIRTH, "KEYSENTINEL", "PWSENTINEL")

HEADER = urs.REQUIRED_COLUMNS


def _row(
    event_type, passport, citizenship, purpose, day, name="Synthetic Person", birth="1980-01-01", host="KZ"
):
    return (event_type, passport, name, birth, citizenship, purpose, host, "KZ-ALMATY-AIR", day)


def deterministic_rows() -> list[tuple]:
    """KZ, January 2016, entries (URS01): CHN/work 10 persons, IND/work 7, VNM/work 2 (+ the sentinel: 3)."""
    rows = []
    for citizenship, persons in (("CHN", 10), ("IND", 7), ("VNM", 2)):
        for i in range(persons):
            rows.append(_row("entry", f"T{citizenship}{i:05d}", citizenship, "work", f"2016-01-{1 + i:02d}"))
    # The sentinel person: VNM, entering twice (two spellings of the same passport) and offending once.
    rows.append(_row("entry", PASSPORT, "VNM", "work", "2016-01-20", NAME, BIRTH))
    rows.append(_row("entry", PASSPORT[:6] + " " + PASSPORT[6:], "vnm", "work", "2016-01-25", NAME, BIRTH))
    rows.append(_row("offence", PASSPORT, "VNM", "work", "2016-01-26", NAME, BIRTH))
    return rows


def write_csv(path: Path, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


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


@pytest.fixture(scope="module")
def urs_run(airflow_ready, urs_url, tmp_path_factory):
    """Extracts in a URS landing area -> the DAG with dag.test() (sentinel key and password) -> dbt."""
    landing = tmp_path_factory.mktemp("urs-landing")
    write_csv(landing / "urs_2016_01.csv", deterministic_rows())
    # A refused extract: the sentinel name shifted into the citizenship column, one field short.
    write_csv(
        landing / "urs_2016_02_bad.csv",
        [
            _row("entry", PASSPORT, NAME, "work", "2016-02-01", NAME, BIRTH),
            ("entry", PASSPORT, NAME, BIRTH, "VNM", "work", "KZ", "2016-02-02"),
        ],
    )
    sentinel_url = urs_url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)
    saved = {k: os.environ.get(k) for k in ("WAREHOUSE_URL", urs.KEY_ENV, "URS_LANDING_DIR")}
    os.environ.update({"WAREHOUSE_URL": sentinel_url, urs.KEY_ENV: KEY, "URS_LANDING_DIR": str(landing)})
    try:
        from programme_monitoring.orchestration.local_runs import load_dags
        with capture_output() as console:
            run, exit_code, task_log = run_task_as_a_worker(load_dags().dags["ingest_urs_extracts"])
            # The same landing area again through the command line's path, in this process:
            # the good extract is recognised, the bad one refused again, a summary printed.
            cli_summary = urs_ingest_task()
        from programme_monitoring.warehouse.transform import run_dbt

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
    assert rows == {"urs_2016_01.csv": "loaded", "urs_2016_02_bad.csv": "rejected"}
    assert "line 2: invalid citizenship" in reason and "line 3: 8 fields" in reason
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


def test_no_identifier_or_secret_in_the_postgresql_log(urs_run):
    from programme_monitoring.warehouse.connection import embedded_server
    log = embedded_server().log_file.read_text(errors="replace")
    assert log  # the server writes there
    assert not [s for s in SENTINELS if s.lower() in log.lower()]


def test_no_identifier_or_secret_in_the_console_or_dbt_output(urs_run):
    console = urs_run["console"]
    # The output was captured: the in-process run printed its summary (the worker's went to the task log).
    assert "URS intake: 0 extract(s) loaded (0 events), 1 refused, 1 already seen" in console
    assert urs_run["cli_summary"]["duplicates"] == ["urs_2016_01.csv"]
    assert list(urs_run["cli_summary"]["rejected"]) == ["urs_2016_02_bad.csv"]
    assert "Completed successfully" in urs_run["dbt"]
    text = (console + urs_run["dbt"] + json.dumps(urs_run["cli_summary"])).lower()
    assert not [s for s in SENTINELS if s.lower() in text]


def test_no_identifier_or_secret_in_airflow_task_logs_or_xcom(urs_run, warehouse_url):
    # The task log exists and is this task's log: Airflow's lines and the task's own summary.
    task_log = urs_run["task_log"]
    assert task_log.is_file(), task_log
    text = task_log.read_text(errors="replace")
    assert "URS intake: 1 extract(s) loaded (22 events), 1 refused, 0 already seen" in text
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
    assert list(returned["rejected"]) == ["urs_2016_02_bad.csv"]
    assert not [s for s in SENTINELS if any(s.lower() in v.lower() for v in values.values())]  # ... clean


def test_the_task_registers_the_key_and_the_password_with_airflows_masker(
    airflow_ready, monkeypatch, tmp_path
):
    """urs_ingest_task (the DAG's task body) masks both secrets: anything Airflow logs shows ***."""
    try:
        from airflow.sdk._shared.secrets_masker import redact
    except ImportError:  # pragma: no cover - older layout
        from airflow.sdk.execution_time.secrets_masker import redact

    monkeypatch.setenv(urs.KEY_ENV, KEY)
    monkeypatch.setenv("URS_LANDING_DIR", str(tmp_path))  # empty: nothing to load
    url = os.environ["WAREHOUSE_URL"]
    monkeypatch.setenv(
        "WAREHOUSE_URL", url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)
    )
    urs_ingest_task()
    redacted = str(redact(f"connecting with {PASSWORD}, key {KEY}"))
    assert "PWSENTINEL" not in redacted and "KEYSENTINEL" not in redacted
    assert "***" in redacted


# -- pseudonyms ---------------------------------------------------------------------------


def test_pseudonyms_in_the_warehouse_are_the_keyed_hmac(urs_run, urs_url):
    with psycopg.connect(urs_url) as conn:
        stored = {
            r[0]
            for r in conn.execute(
                "select person_pseudonym from raw.urs_events where source_file = 'urs_2016_01.csv'"
            )
        }
    expected = {urs.pseudonym(KEY.encode(), r[1], r[4]) for r in deterministic_rows()}
    assert stored == expected
    assert len(stored) == 10 + 7 + 2 + 1  # the sentinel's two passport spellings are one person


def test_a_changed_key_changes_every_pseudonym():
    rows = deterministic_rows()
    first = {urs.pseudonym(KEY.encode(), r[1], r[4]) for r in rows}
    second = {urs.pseudonym(b"another-key-" + b"1" * 40, r[1], r[4]) for r in rows}
    assert len(first) == len(second) == 20
    assert first.isdisjoint(second)


def test_pseudonym_normalises_the_passport_and_citizenship():
    key = b"k" * 32
    assert urs.pseudonym(key, "ab 123-45.67", "chn") == urs.pseudonym(key, "AB1234567", "CHN")
    assert urs.pseudonym(key, "AB1234567", "CHN") != urs.pseudonym(key, "AB1234567", "VNM")
    assert len(urs.pseudonym(key, "AB1234567", "CHN")) == 64


def test_a_missing_or_short_key_is_refused(monkeypatch):
    monkeypatch.delenv(urs.KEY_ENV, raising=False)
    monkeypatch.delenv("AIRFLOW_VAR_URS_PSEUDONYM_KEY", raising=False)
    with pytest.raises(urs.UrsKeyError):
        urs.pseudonym_key()
    monkeypatch.setenv(urs.KEY_ENV, "short")
    with pytest.raises(urs.UrsKeyError, match="at least 32 bytes"):
        urs.pseudonym_key()


# -- the marts ----------------------------------------------------------------------------


def _shared(conn, month=date(2016, 1, 1), state="KZ", indicator="URS01"):
    return conn.execute(
        """select row_type, citizenship_code, purpose_of_visit, event_count, person_count, suppression
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
            ("cell", "CHN", "work", 10, 10, None),
            ("cell", "IND", "work", None, None, "secondary"),  # the next smallest protects VNM
            ("cell", "VNM", "work", None, None, "primary"),
            ("total", None, None, 21, 20, None),  # 21 - 10 = 11: the two hidden cells stay hidden
        ]
        # One offence by one person: suppressed, and so is the total that would equal it.
        assert _shared(conn, indicator="URS03") == [
            ("cell", "VNM", "work", None, None, "primary"),
            ("total", None, None, None, None, "total"),
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


# -- reading extracts: the fast (pandas C) and exact (csv module) readers agree -----------


@pytest.fixture
def scratch_url(warehouse_url, monkeypatch):
    """An empty database of its own for the intake (WAREHOUSE_URL points at it)."""
    admin = warehouse_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("drop database if exists urs_scratch with (force)")
        conn.execute("create database urs_scratch")
    url = warehouse_url.rsplit("/", 1)[0] + "/urs_scratch"
    monkeypatch.setenv("WAREHOUSE_URL", url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("drop database if exists urs_scratch with (force)")


CSV_HEADER = ",".join(HEADER) + "\n"
GOOD = "entry,AB 1234567,Ivanov Ivan,1980-02-01,CHN,work,KZ,KZ-ALMATY-AIR,2017-03-14\n"
GOOD2 = "work_permit,AB1234567,Ivanov Ivan,1980-02-01,chn,,kz,,2017-03-20\n"
EXTRACTS = {  # name -> (text, expected (event_type, citizenship, purpose, host, checkpoint, date) rows)
    "plain": (CSV_HEADER + GOOD + GOOD2, 2),
    "quoted": (
        CSV_HEADER
        + 'entry,AB1,"Ivanov, Ivan",1980-02-01,CHN,work,KZ,"BCP,1",2017-03-14\n'
        + 'exit,AB2,"Two\nlines ""quoted""",1980,VNM,,RU,,2017-04-01\n'
        + GOOD,
        3,
    ),
    "crlf_blank_lines": ((CSV_HEADER + GOOD + "\n" + GOOD2 + "\n").replace("\n", "\r\n"), 2),
    "no_final_line_break": (CSV_HEADER + GOOD + GOOD2.rstrip("\n"), 2),
    "header_order_bom_extra_column": (
        "\ufeffHOST_STATE,Event_Type,citizenship,passport_number,extra,full_name,date_of_birth,"
        "purpose_of_visit,border_crossing_point,event_date\nKZ,entry,CHN,ab-123.4,x,N,D,work,B1,2017-01-01\n",
        1,
    ),
    "tab_and_backslash": (CSV_HEADER + 'entry,AB1,N,D,CHN,work,KZ,"B\\1\tX",2017-03-14\n', 1),
}


def _events(url):
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select event_type, person_pseudonym, citizenship, purpose_of_visit, host_state,
                      border_crossing_point, event_date::text
               from raw.urs_events order by 1, 2, 3, 4, 5, 6, 7"""
        ).fetchall()


def test_both_readers_load_the_same_rows_at_any_block_size(scratch_url, tmp_path):
    """Default blocks (pandas' C reader where a block allows) vs 64-byte blocks (most go through
    the csv module): the same rows, values exactly as written (quoted commas, tabs, backslashes)."""
    key = b"k" * 40
    for name, (text, count) in EXTRACTS.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        loaded = []
        for block_bytes in (None, 64):
            with psycopg.connect(scratch_url) as conn:
                conn.execute("drop table if exists raw.urs_events, audit.urs_extract_ledger")
            outcome = urs.ingest_extract(path, key=key, block_bytes=block_bytes)
            assert (outcome.status, outcome.event_rows) == ("loaded", count), (name, outcome.reasons)
            loaded.append(_events(scratch_url))
        assert loaded[0] == loaded[1], name
    rows = {r[5] for r in _events(scratch_url)}  # the last file: tab and backslash kept
    assert rows == {"B\\1\tX"}
    assert urs.pseudonym(key, "ab-123.4", "chn") == urs.pseudonym(key, "AB1234", "CHN")


def test_a_large_extract_loads_the_same_through_both_readers(scratch_url, tmp_path):
    key = b"k" * 40
    extract = urs.write_synthetic_extract(tmp_path / "big.csv", 20_000, seed=3)
    loaded = []
    for block_bytes in (None, 50_000):
        with psycopg.connect(scratch_url) as conn:
            conn.execute("drop table if exists raw.urs_events, audit.urs_extract_ledger")
        assert urs.ingest_extract(extract, key=key, block_bytes=block_bytes).event_rows == 20_000
        loaded.append(_events(scratch_url))
    # The slow reader, forced: a quote in a column the intake drops sends every block through it.
    text = extract.read_text().replace("Synthetic Person", '"Synthetic, Person"')
    quoted = tmp_path / "big_quoted.csv"
    quoted.write_text(text)
    with psycopg.connect(scratch_url) as conn:
        conn.execute("drop table if exists raw.urs_events, audit.urs_extract_ledger")
    assert urs.ingest_extract(quoted, key=key).event_rows == 20_000
    loaded.append(_events(scratch_url))
    assert loaded[0] == loaded[1] == loaded[2]
    with open(extract, newline="") as f:
        expected = {urs.pseudonym(key, r["passport_number"], r["citizenship"]) for r in csv.DictReader(f)}
    assert {r[1] for r in loaded[0]} == expected


@pytest.mark.parametrize("block_bytes", [None, 64])
def test_bad_lines_are_refused_by_line_and_column_never_by_value(scratch_url, tmp_path, block_bytes):
    path = tmp_path / "bad.csv"
    path.write_bytes(
        (
            CSV_HEADER
            + GOOD
            + f"visit,{PASSPORT},N,D,CHINA,fun,XX,B,2017-13-01\n"  # line 3
            + "entry,,N,D,CHN,work,KZ,B,2017-02-30\n"  # line 4: no passport, no such day
            + "entry,X1,N,D,CHN,work,KZ,2017-01-01\n"  # line 5: a field short
            + "entry,X1,N,D,CHN,work,KZ,B,2017-01-01,extra\n"  # line 6: one too many
            + GOOD
        ).encode()
        + b"entry,AB\xff1,N,D,CHN,work,KZ,B,2017-01-01\n"  # line 8: not UTF-8
    )
    outcome = urs.ingest_extract(path, key=b"k" * 40, block_bytes=block_bytes)
    assert outcome.status == "rejected"
    assert outcome.reasons == [
        "line 3: invalid event_type, citizenship, purpose_of_visit, host_state, event_date",
        "line 4: invalid passport_number, event_date",
        "line 5: 8 fields, the header has 9",
        "line 6: 10 fields, the header has 9",
        "line 8: not UTF-8 text",
    ]
    assert PASSPORT not in "".join(outcome.reasons)
    with psycopg.connect(scratch_url) as conn:
        assert conn.execute("select count(*) from raw.urs_events").fetchone()[0] == 0
        assert conn.execute("select status from audit.urs_extract_ledger").fetchall() == [("rejected",)]


@pytest.mark.parametrize("length", [1, 32, 64, 65, 200])
def test_the_fast_hmac_is_hmac_sha256(length):
    import hmac

    key = bytes(range(256))[:length] * 1
    messages = [b"", b"AB1234567|CHN", b"x" * 300, "ЖК1234567|KAZ".encode()]
    assert urs.hmac_sha256(key)(messages) == [hmac.digest(key, m, "sha256") for m in messages]


# -- a changed key ------------------------------------------------------------------------

KEY_1 = b"first-key-" + b"1" * 40
KEY_2 = b"second-key-" + b"2" * 40


def _ledger(url):
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select source_file, status, pseudonym_key_id from audit.urs_extract_ledger order by 1"
        ).fetchall()


def test_an_extract_made_with_another_key_is_refused(scratch_url, tmp_path):
    first = write_csv(tmp_path / "a.csv", deterministic_rows()[:5])
    second = write_csv(tmp_path / "b.csv", deterministic_rows()[5:10])
    assert urs.ingest_extract(first, key=KEY_1).status == "loaded"
    refused = urs.ingest_extract(second, key=KEY_2)
    assert refused.status == "rejected"
    assert "another pseudonym key" in refused.reasons[0] and urs.key_id(KEY_1) in refused.reasons[0]
    assert _ledger(scratch_url) == [
        ("a.csv", "loaded", urs.key_id(KEY_1)),
        ("b.csv", "rejected", urs.key_id(KEY_2)),
    ]
    assert {r[1] for r in _events(scratch_url)} == {
        urs.pseudonym(KEY_1, r[1], r[4]) for r in deterministic_rows()[:5]
    }
    assert urs.ingest_extract(second, key=KEY_1).status == "loaded"  # with the same key: fine


def test_rekey_needs_every_loaded_extract_and_replaces_every_pseudonym(scratch_url, tmp_path):
    rows = deterministic_rows()
    first = write_csv(tmp_path / "a.csv", rows[:10])
    second = write_csv(tmp_path / "b.csv", rows[10:])
    for path in (first, second):
        assert urs.ingest_extract(path, key=KEY_1).status == "loaded"
    before = _events(scratch_url)

    with pytest.raises(urs.UrsRekeyError, match=r"a\.csv"):  # a loaded extract's source is missing
        urs.rekey_extracts([second], key=KEY_2)
    assert _events(scratch_url) == before  # nothing changed

    outcomes = urs.rekey_extracts([first, second, first], key=KEY_2)
    assert sorted((o.source_file, o.status, o.event_rows) for o in outcomes) == [
        ("a.csv", "loaded", 10),
        ("b.csv", "loaded", len(rows) - 10),
    ]
    after = {r[1] for r in _events(scratch_url)}
    assert after == {urs.pseudonym(KEY_2, r[1], r[4]) for r in rows}
    assert after.isdisjoint({r[1] for r in before})  # no pseudonym of the old key is left
    assert {(f, s, k) for f, s, k in _ledger(scratch_url)} == {
        ("a.csv", "loaded", urs.key_id(KEY_2)),
        ("b.csv", "loaded", urs.key_id(KEY_2)),
    }
    assert urs.ingest_extract(first, key=KEY_1).status == "duplicate"  # same bytes: nothing to do
    third = write_csv(tmp_path / "c.csv", rows[:3])
    assert urs.ingest_extract(third, key=KEY_1).status == "rejected"  # the old key is refused now
