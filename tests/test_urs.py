"""URS statistics feed: no identifier survives intake, pseudonyms are keyed, small counts are suppressed.

The extracts carry sentinel identifiers; after a real Airflow run of ingest_urs_extracts
(dag.test()) and a dbt build of the URS models, every text column of every table of the
warehouse and of Airflow's metadata database, PostgreSQL's server log, the Airflow task
logs and the captured console output are searched for them.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import psycopg
import pytest
from programme_monitoring import urs
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
def urs_run(airflow_ready, warehouse_url, tmp_path_factory):
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
    sentinel_url = warehouse_url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)
    saved = {k: os.environ.get(k) for k in ("WAREHOUSE_URL", urs.KEY_ENV, "URS_LANDING_DIR")}
    os.environ.update({"WAREHOUSE_URL": sentinel_url, urs.KEY_ENV: KEY, "URS_LANDING_DIR": str(landing)})
    try:
        from programme_monitoring.orchestration import load_dags

        with capture_output() as console:
            run = load_dags().dags["ingest_urs_extracts"].test()
        from programme_monitoring.transform import run_dbt

        dbt_output = run_dbt("build", "--select", "+path:models/marts/urs")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {
        "state": str(run.state),
        "run_id": run.run_id,
        "landing": landing,
        "dbt": dbt_output,
        "console": console.read_text(errors="replace"),
    }


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


def test_ledger_has_one_loaded_and_one_refused_extract(urs_run, warehouse_url):
    with psycopg.connect(warehouse_url) as conn:
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
    found = _find_sentinels(warehouse_url, "warehouse") + _find_sentinels(warehouse_url, "airflow")
    assert not found, found


def test_no_identifier_or_secret_in_the_postgresql_log(urs_run):
    from programme_monitoring.warehouse import embedded_server

    log = embedded_server().log_file.read_text(errors="replace")
    assert log  # the server writes there
    assert not [s for s in SENTINELS if s.lower() in log.lower()]


def test_no_identifier_or_secret_in_the_task_output(urs_run):
    console = urs_run["console"]
    assert console.strip()  # the run's output was captured
    assert not [s for s in SENTINELS if s.lower() in console.lower()]


def test_no_identifier_or_secret_in_airflow_task_logs_or_xcom(urs_run, warehouse_url):
    home = Path(os.environ["AIRFLOW_HOME"])
    logs = [p for p in (home / "logs").rglob("*") if p.is_file() and "ingest_urs_extracts" in str(p)]
    text = "\n".join(p.read_text(errors="replace") for p in logs)
    assert not [s for s in SENTINELS if s.lower() in text.lower()]
    with psycopg.connect(warehouse_url.rsplit("/", 1)[0] + "/airflow") as conn:
        xcom = conn.execute(
            "select value::text from xcom where dag_id = 'ingest_urs_extracts' and run_id = %s",
            (urs_run["run_id"],),
        ).fetchall()
    assert xcom and "urs_2016_01.csv" in xcom[0][0]
    assert not [s for s in SENTINELS if any(s.lower() in v.lower() for (v,) in xcom)]


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
    urs.urs_ingest_task()
    redacted = str(redact(f"connecting with {PASSWORD}, key {KEY}"))
    assert "PWSENTINEL" not in redacted and "KEYSENTINEL" not in redacted
    assert "***" in redacted


# -- pseudonyms ---------------------------------------------------------------------------


def test_pseudonyms_in_the_warehouse_are_the_keyed_hmac(urs_run, warehouse_url):
    with psycopg.connect(warehouse_url) as conn:
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


def test_exact_counts_and_distinct_persons(urs_run, warehouse_url):
    with psycopg.connect(warehouse_url) as conn:
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


def test_primary_and_secondary_suppression(urs_run, warehouse_url):
    with psycopg.connect(warehouse_url) as conn:
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


def test_no_small_count_is_visible_and_no_lone_suppressed_cell(urs_run, warehouse_url):
    with psycopg.connect(warehouse_url) as conn:
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
