"""No indicator value or measure without its report header (migrations 0003 and 0014), and no value that
breaks the value rules (migration 0012); and a report's rows are found by an index (0013).

The key is checked once per statement by triggers over the transition tables instead of a
per-row foreign key; these tests hold it to the same guarantees as the key, as the
loader role (the intake's): an orphan row is refused by INSERT, COPY and UPDATE; a header
with rows cannot be deleted, truncated or re-keyed; and a header whose rows are being
loaded by an open transaction cannot be deleted under it.

Each test gets a database of its own on the session's embedded server, with the schema
and the access grants applied.
"""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from programme_monitoring.warehouse import access
from psycopg import errors, sql

VALUE_COLUMNS = (
    "report_id, source_file, source_sheet, source_row, indicator_code, disaggregation, value, is_reported"
)
INSERT_VALUE = f"insert into raw.indicator_values ({VALUE_COLUMNS}) values (%s, %s, %s, %s, %s, %s, %s, %s)"
INSERT_MEASURE = (
    "insert into raw.measure_status (report_id, source_file, source_sheet, source_row, measure_code, status)"
    " values (%s, 'r.csv', 'Measures', 1, '1.1.1', 'implemented')"
)
HEADER = (
    "insert into raw.report_headers values (%s, 'r.csv', 'csv', 'KZ', 'MVD', 'IM', 2016, '2017-02-20', 1)"
)
LEDGER = (
    "insert into audit.file_ledger (file_sha256, file_name, file_bytes, status)"
    " values (%s, 'r.csv', 1, 'loaded')"
)


@pytest.fixture
def database(warehouse_url):
    """(admin URL, loader connection factory) of a new database with raw/audit and grants."""
    name = f"report_key_{uuid.uuid4().hex[:10]}"
    user = f"pm_test_loader_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex  # the embedded server authenticates every login by password
    with psycopg.connect(warehouse_url, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = warehouse_url.rsplit("/", 1)[0] + "/" + name
    access.apply_access(url)  # the schema, the group roles and their grants
    with psycopg.connect(warehouse_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("create role {} login password {}").format(sql.Identifier(user), sql.Literal(password))
        )
        admin.execute(sql.SQL("grant {} to {}").format(sql.Identifier(access.LOADER), sql.Identifier(user)))
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(LEDGER, ("report-a",))
        admin.execute(HEADER, ("report-a",))
    opened: list[psycopg.Connection] = []

    def loader(**options) -> psycopg.Connection:
        conn = psycopg.connect(url, user=user, password=password, **options)
        opened.append(conn)
        return conn

    yield url, loader
    for conn in opened:
        conn.close()
    with psycopg.connect(warehouse_url, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("drop role {}").format(sql.Identifier(user)))


def _copy(conn: psycopg.Connection, rows: list[tuple]) -> None:
    with conn.cursor().copy(f"copy raw.indicator_values ({VALUE_COLUMNS}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)


def _row(report_id: str, source_row: int = 1) -> tuple:
    return (report_id, "r.csv", "Indicators", source_row, "IM01", "total", 5, True)


def _count(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchone()[0]


def test_values_and_measures_of_a_known_report_load(database):
    url, loader = database
    with loader() as conn:
        _copy(conn, [_row("report-a", n) for n in range(1, 1001)])
        conn.execute(INSERT_MEASURE, ("report-a",))
    assert _count(url, "select count(*) from raw.indicator_values") == 1000
    assert _count(url, "select count(*) from raw.measure_status") == 1


@pytest.mark.parametrize("how", ["copy", "insert", "update", "measure"])
def test_an_orphan_row_is_refused_as_the_loader(database, how):
    url, loader = database
    with loader() as conn:
        if how == "update":
            _copy(conn, [_row("report-a")])
            conn.commit()
        with pytest.raises(errors.ForeignKeyViolation, match="report_headers"):
            if how == "copy":  # one orphan among rows of a known report: the whole COPY is refused
                _copy(conn, [_row("report-a", 1), _row("no-such-report", 2), _row("report-a", 3)])
            elif how == "insert":
                conn.execute(INSERT_VALUE, _row("no-such-report"))
            elif how == "update":
                conn.execute("update raw.indicator_values set report_id = 'no-such-report'")
            else:
                conn.execute(INSERT_MEASURE, ("no-such-report",))
    assert _count(url, "select count(*) from raw.indicator_values where report_id <> 'report-a'") == 0
    assert _count(url, "select count(*) from raw.measure_status") == 0


@pytest.mark.parametrize(
    "statement",
    [
        "delete from raw.report_headers where report_id = 'report-a'",
        "update raw.report_headers set report_id = 'report-b' where report_id = 'report-a'",
        "truncate raw.report_headers",
    ],
)
def test_a_header_with_rows_cannot_go(database, statement):
    url, loader = database
    with loader() as conn:
        _copy(conn, [_row("report-a")])
    with psycopg.connect(url) as admin:  # the table's owner: truncate needs more than the loader has
        admin.execute(LEDGER, ("report-b",))
        admin.commit()
        with pytest.raises(errors.ForeignKeyViolation):
            admin.execute(statement)
        admin.rollback()
        # Without rows it may go (and rows and header together may go in one statement).
        admin.execute("truncate raw.indicator_values, raw.measure_status, raw.report_headers")
    assert _count(url, "select count(*) from raw.report_headers") == 0


def test_a_header_cannot_be_deleted_under_a_load_in_progress(database):
    """The loading transaction locks the header (FOR KEY SHARE, as the key did): a delete
    waits for it instead of removing the header while the rows are not yet visible."""
    url, loader = database
    load = loader()
    _copy(load, [_row("report-a", n) for n in range(1, 11)])  # not committed yet
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("set lock_timeout = '300ms'")
        with pytest.raises(errors.LockNotAvailable):
            admin.execute("delete from raw.report_headers where report_id = 'report-a'")
        load.commit()
        with pytest.raises(errors.ForeignKeyViolation):
            admin.execute("delete from raw.report_headers where report_id = 'report-a'")
    assert _count(url, "select count(*) from raw.indicator_values") == 10


def test_the_key_is_checked_per_statement_not_per_row(database):
    """No per-row foreign key is left on the rows' tables: the statement triggers hold it."""
    url, _ = database
    with psycopg.connect(url) as conn:
        keys = conn.execute(
            """select conrelid::regclass::text from pg_constraint where contype = 'f'
               and conrelid in ('raw.indicator_values'::regclass, 'raw.measure_status'::regclass)"""
        ).fetchall()
        triggers = conn.execute(
            """select tgrelid::regclass::text, count(*) from pg_trigger where not tgisinternal
               and tgenabled = 'O' and tgrelid in ('raw.indicator_values'::regclass,
               'raw.measure_status'::regclass, 'raw.report_headers'::regclass) group by 1 order by 1"""
        ).fetchall()
    assert keys == []
    assert triggers == [("raw.indicator_values", 2), ("raw.measure_status", 2), ("raw.report_headers", 3)]


@pytest.mark.parametrize(
    ("value", "is_reported", "constraint"),
    [
        (-1, True, "indicator_values_value_not_negative"),
        (None, True, "indicator_values_reported_has_value"),
        (0, False, "indicator_values_reported_has_value"),
    ],
)
def test_a_value_that_breaks_the_value_rules_is_refused_by_every_way_of_writing(
    database, value, is_reported, constraint
):
    # Migration 0012: the rules dbt used to re-test over every stored value at each build.
    _url, loader = database
    row = ("report-a", "r.csv", "Indicators", 2, "IM01", "total", value, is_reported)
    for write in (
        lambda conn: conn.execute(INSERT_VALUE, row),
        lambda conn: _copy(conn, [_row("report-a"), row]),
    ):
        with loader() as conn, pytest.raises(errors.CheckViolation) as refused:
            write(conn)
        assert refused.value.diag.constraint_name == constraint
    with loader() as conn:
        _copy(
            conn, [_row("report-a"), ("report-a", "r.csv", "Indicators", 2, "IM01", "sex=male", None, False)]
        )
        conn.commit()
        with pytest.raises(errors.CheckViolation):
            conn.execute("update raw.indicator_values set value = -3 where source_row = 1")


def test_a_report_s_rows_are_found_by_its_index_not_a_pass_over_every_value(database):
    # Migration 0013: what a correction's intake and the transform read, by report.
    url, loader = database
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(LEDGER, ("report-b",))
        admin.execute(HEADER.replace("'KZ'", "'RU'"), ("report-b",))
    with loader() as conn:
        _copy(conn, [_row("report-a", n) for n in range(1, 3001)])
        _copy(conn, [_row("report-b", n) for n in range(1, 4)])
        conn.commit()
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("select brin_summarize_new_values('raw.indicator_values_report_brin')")
        admin.execute("analyze raw.indicator_values")
        by_report = "select source_row from raw.indicator_values where report_id = 'report-b'"
        [[plan]] = admin.execute("explain (format json) " + by_report).fetchone()
        assert '"Index Name": "indicator_values_report_brin"' in json.dumps(plan), plan
        assert sorted(r[0] for r in admin.execute(by_report)) == [1, 2, 3]
