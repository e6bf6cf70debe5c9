"""Incremental intermediate tables: one new report version or URS extract costs its own rows.

``int_indicator_values_accepted`` (keyed by report) and ``int_urs_indicators_monthly``
(keyed by month) are incremental; the marts are built aside from them and swapped in,
except the fact table, to which the new reports' rows are added (publish.PUBLISHED_BY_REPORT).
On a fresh embedded PostgreSQL with the fixture rows of test_dbt_project and a small URS
feed, each test checks (1) from dbt's run_results.json that a build wrote only
the rows of what changed, and (2) that the tables then hold exactly what a full refresh
gives (md5 of every row of the intermediate tables and of every mart).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest
from programme_monitoring import cli
from programme_monitoring.dev.warehouse_fixture import load_fixture

INCREMENTAL = ("int_indicator_values_accepted", "int_urs_indicators_monthly")


@pytest.fixture(scope="module")
def warehouse(own_warehouse):
    url, base = own_warehouse
    load_fixture(url)
    with psycopg.connect(url) as conn:
        for month in (1, 2, 3):
            load_urs_extract(conn, f"urs-2016-{month:02d}", month)
    return url, base / "target"


def load_urs_extract(conn: psycopg.Connection, extract_id: str, month: int, events: int = 240) -> None:
    """A small deterministic extract: ``events`` events of 40 persons in one month of 2016."""
    conn.execute(
        """insert into audit.urs_extract_ledger (extract_id, source_file, file_bytes, status, event_rows)
           values (%s, %s, 1000, 'loaded', %s)""",
        (extract_id, extract_id + ".csv", events),
    )
    conn.execute(
        """insert into raw.urs_events (extract_id, source_file, event_type, person_pseudonym, citizenship,
               purpose_of_visit, host_state, border_crossing_point, event_date)
           select %s, %s, (array['entry', 'exit', 'work_permit', 'offence'])[1 + g %% 4],
                  md5('person' || g %% 40) || md5('key' || g %% 40),
                  (array['CHN', 'VNM', 'IND'])[1 + g %% 40 %% 3],
                  (array['work', 'study', null])[1 + g %% 7 %% 3],
                  (array['KZ', 'RU'])[1 + g %% 40 %% 2], 'BCP-001', make_date(2016, %s, 1 + g %% 28)
           from generate_series(1, %s) as g""",
        (extract_id, extract_id + ".csv", month, events),
    )


def load_report_version(url: str, report_id: str, previous: str, thb01: int) -> int:
    """A new version of ``previous`` as the intake loads it (the same rows, THB01 total =
    ``thb01``; the previous version marked superseded); returns its number of value rows."""
    with psycopg.connect(url) as conn:
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                   state_code, programme_code, reporting_year, report_version)
               select %s, %s || '.xlsx', file_format, file_bytes, 'loaded', state_code, programme_code,
                      reporting_year, report_version + 1
               from audit.file_ledger where file_sha256 = %s""",
            (report_id, report_id, previous),
        )
        conn.execute("update audit.file_ledger set status = 'superseded' where file_sha256 = %s", (previous,))
        conn.execute(
            """insert into raw.report_headers (report_id, source_file, file_format, state_code, authority,
                   programme_code, reporting_year, submission_date, report_version, loaded_at)
               select %s, %s || '.xlsx', file_format, state_code, authority, programme_code, reporting_year,
                      submission_date, report_version + 1, loaded_at + interval '1 day'
               from raw.report_headers where report_id = %s""",
            (report_id, report_id, previous),
        )
        conn.execute(
            """insert into raw.measure_status (report_id, source_file, source_sheet, source_row, measure_code,
                   status, narrative)
               select %s, %s || '.xlsx', source_sheet, source_row, measure_code, status, narrative
               from raw.measure_status where report_id = %s""",
            (report_id, report_id, previous),
        )
        return conn.execute(
            """insert into raw.indicator_values (report_id, source_file, source_sheet, source_row,
                   indicator_code, disaggregation, value, is_reported, comment)
               select %s, %s || '.xlsx', source_sheet, source_row, indicator_code, disaggregation,
                      case when indicator_code = 'THB01' and disaggregation = 'total' then %s else value end,
                      is_reported, comment
               from raw.indicator_values where report_id = %s""",
            (report_id, report_id, thb01, previous),
        ).rowcount


def withdraw_report_version(url: str, report_id: str) -> None:
    """Take a loaded version back out: its predecessor counts again."""
    with psycopg.connect(url) as conn:
        (previous,) = conn.execute(
            """select p.file_sha256 from audit.file_ledger as p join audit.file_ledger as r
                 on (p.state_code, p.programme_code, p.reporting_year)
                    = (r.state_code, r.programme_code, r.reporting_year)
                 and p.report_version = r.report_version - 1
               where r.file_sha256 = %s""",
            (report_id,),
        ).fetchone()
        for table in ("raw.indicator_values", "raw.measure_status", "raw.report_headers"):
            conn.execute(f"delete from {table} where report_id = %s", (report_id,))
        conn.execute("delete from audit.file_ledger where file_sha256 = %s", (report_id,))
        conn.execute("update audit.file_ledger set status = 'loaded' where file_sha256 = %s", (previous,))


def fingerprints(url: str, suffix: str = "") -> dict[str, str]:
    """md5 of the sorted rows of every mart and of the incremental intermediate tables."""
    with psycopg.connect(url) as conn:
        tables = [
            (schema, name)
            for schema, name in conn.execute(
                """select table_schema, table_name from information_schema.tables
                   where table_type = 'BASE TABLE' and (table_schema = %s
                         or (table_schema = %s and table_name = any(%s)))
                   order by 1, 2""",
                ("marts" + suffix, "intermediate" + suffix, list(INCREMENTAL)),
            )
        ]
        return {
            f"{schema}.{name}": conn.execute(
                f"select md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) "
                f'from "{schema}"."{name}" as t'
            ).fetchone()[0]
            for schema, name in tables
        }


def rows_written(target: Path, model: str) -> int:
    """Rows dbt's main statement for ``model`` wrote in the last run (run_results.json)."""
    for result in json.loads((target / "run_results.json").read_text())["results"]:
        if result["unique_id"] == f"model.programme_monitoring.{model}":
            assert result["status"] == "success", result
            return result["adapter_response"]["rows_affected"]
    raise AssertionError(f"{model} did not run")


def reports_built(target: Path, mart: str) -> str | None:
    """The report ids a mart published by report was built with in the last run (the
    literal list in its compiled SQL), None when it was built whole."""
    compiled = (target / "run" / "programme_monitoring" / "models" / "marts" / f"{mart}.sql").read_text()
    found = re.search(r"where report_id in (\([^)]*\))", compiled)
    return found.group(1) if found else None


def count(url: str, query: str, *params) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchone()[0]


def test_one_new_report_version_writes_only_its_rows(warehouse, capsys):
    from programme_monitoring.warehouse.transform import NOTHING_CHANGED, build_warehouse

    url, target = warehouse
    build_warehouse(target_path=target)
    total = count(url, "select count(*) from intermediate.int_indicator_values_accepted")
    assert total > 0
    # Nothing new in the ledgers: nothing is built (dbt does not even run).
    assert build_warehouse(target_path=target) == NOTHING_CHANGED

    new_rows = load_report_version(url, "kz-thb-2014-v2", "kz-thb-2014-v1", thb01=310)
    dimension = count(url, "select 'marts.dim_member_state'::regclass::oid")
    fact = count(url, "select 'marts.fct_indicator_values'::regclass::oid")
    build_warehouse(target_path=target)
    assert rows_written(target, "int_indicator_values_accepted") == new_rows < total
    # The fact table is published by report: only the new version's rows were built, and
    # they went into the published table (the same table, the superseded rows deleted).
    assert reports_built(target, "fct_indicator_values") == "('kz-thb-2014-v2')"
    assert count(url, "select 'marts.fct_indicator_values'::regclass::oid") == fact
    assert count(url, "select count(*) from marts.fct_indicator_values") == total
    # Marts upstream of the reports are not rebuilt: the rebuilt fact references the
    # published dimension, which stays the same table.
    ran = {r["unique_id"] for r in json.loads((target / "run_results.json").read_text())["results"]}
    assert "model.programme_monitoring.fct_indicator_values" in ran
    assert not {node for node in ran if node.startswith("model.programme_monitoring.dim_member_state")}
    assert count(url, "select 'marts.dim_member_state'::regclass::oid") == dimension
    referencing = """select count(*) from pg_constraint where contype = 'f'
                     and conrelid = 'marts.fct_indicator_values'::regclass and confrelid = %s"""
    assert count(url, referencing, dimension) == 1
    # Views read their tables when queried: new rows rebuild none, and their tests still run.
    assert not {node for node in ran if node.startswith("model.programme_monitoring.stg_")}
    staged_test = (
        "relationships_stg_raw__report_headers_state_code__state_code__ref_stg_reference__member_states_"
    )
    assert f"test.programme_monitoring.{staged_test}" in {node.rpartition(".")[0] for node in ran}
    # The superseded version's rows are gone, the new version's figures are published.
    accepted = "select count(*) from intermediate.int_indicator_values_accepted where report_id = %s"
    assert count(url, accepted, "kz-thb-2014-v1") == 0
    assert count(
        url,
        """select value from marts.fct_indicator_values where state_code = 'KZ' and programme_code = 'THB'
           and reporting_year = 2014 and indicator_code = 'THB01' and disaggregation = 'total'""",
    ) == 310  # fmt: skip
    incremental = fingerprints(url)

    build_warehouse(target_path=target, full_refresh=True)
    assert rows_written(target, "int_indicator_values_accepted") == total
    assert reports_built(target, "fct_indicator_values") is None
    assert fingerprints(url) == incremental

    # Withdrawn again (the previous version counts): its rows leave, v1's come back.
    withdraw_report_version(url, "kz-thb-2014-v2")
    build_warehouse(target_path=target)
    assert rows_written(target, "int_indicator_values_accepted") == new_rows
    assert reports_built(target, "fct_indicator_values") == "('kz-thb-2014-v1')"
    incremental = fingerprints(url)
    assert (
        cli.main(["transform", "--full-refresh", "--target-path", str(target)]) == 0
    )  # as an operator would
    assert fingerprints(url) == incremental
    capsys.readouterr()
    assert cli.main(["transform", "--target-path", str(target)]) == 0
    assert capsys.readouterr().out == NOTHING_CHANGED + "\n"  # not "published nothing changed ..."


def test_one_new_urs_extract_rebuilds_only_its_month(warehouse):
    from programme_monitoring.warehouse.transform import build_warehouse

    url, target = warehouse
    build_warehouse(target_path=target)
    months = "select count(*) from intermediate.int_urs_indicators_monthly where event_month = %s"
    before = count(url, "select count(*) from intermediate.int_urs_indicators_monthly")
    assert count(url, months, "2016-03-01") > 0

    with psycopg.connect(url) as conn:
        load_urs_extract(conn, "urs-2016-04", 4)
    build_warehouse(target_path=target)
    april = count(url, months, "2016-04-01")
    assert 0 < april == rows_written(target, "int_urs_indicators_monthly")
    assert count(url, "select count(*) from intermediate.int_urs_indicators_monthly") == before + april

    # A later extract delivering January's events again: only January is recomputed, and
    # the events delivered twice still count once.
    january = fingerprints(url)["marts.fct_urs_indicators_monthly"]
    with psycopg.connect(url) as conn:
        load_urs_extract(conn, "urs-2016-01-again", 1)
    build_warehouse(target_path=target)
    assert rows_written(target, "int_urs_indicators_monthly") == count(url, months, "2016-01-01")
    assert fingerprints(url)["marts.fct_urs_indicators_monthly"] == january
    incremental = fingerprints(url)

    build_warehouse(target_path=target, full_refresh=True)
    assert rows_written(target, "int_urs_indicators_monthly") == count(
        url, "select count(*) from intermediate.int_urs_indicators_monthly"
    )
    assert fingerprints(url) == incremental


def test_history_builds_move_back_and_forth_in_time(warehouse):
    """as_of builds keep their own incremental tables (intermediate_as_of): going back to an
    earlier date drops the newer version's rows and brings the older one back."""
    from programme_monitoring.warehouse.transform import build_warehouse

    url, target = warehouse
    with psycopg.connect(url) as conn:
        conn.execute("update raw.report_headers set loaded_at = '2015-03-01 00:00:00+00'")
        conn.execute(
            "update raw.report_headers set loaded_at = '2015-04-01 00:00:00+00' "
            "where report_id = 'ru-thb-2014-v2'"
        )
    value = """select value from marts_as_of.fct_indicator_values where state_code = 'RU'
               and programme_code = 'THB' and reporting_year = 2014 and indicator_code = 'THB01'
               and disaggregation = 'total'"""
    build_warehouse(as_of="2015-04-02 00:00:00+00", target_path=target)
    assert count(url, value) == 700
    build_warehouse(as_of="2015-03-15 00:00:00+00", target_path=target)
    assert count(url, value) == 600  # version 2 had not arrived yet
    v1_rows = count(url, "select count(*) from raw.indicator_values where report_id = 'ru-thb-2014-v1'")
    assert rows_written(target, "int_indicator_values_accepted") == v1_rows
    incremental = fingerprints(url, "_as_of")
    build_warehouse(as_of="2015-03-15 00:00:00+00", target_path=target, full_refresh=True)
    assert fingerprints(url, "_as_of") == incremental


def test_a_fact_table_that_drifted_from_its_source_is_not_published(warehouse):
    """Publishing by report adds new reports to the published fact table: it refuses, and
    keeps the previous marts, when that table holds a row its source does not (here a row
    of a period that has its report, under another report id)."""
    from programme_monitoring.warehouse.transform import build_warehouse

    url, target = warehouse
    build_warehouse(target_path=target)
    value = """select value from marts.fct_indicator_values where state_code = 'KZ' and programme_code = 'THB'
               and reporting_year = 2014 and indicator_code = 'THB01' and disaggregation = 'total'"""
    published = count(url, value)
    with psycopg.connect(url) as conn:  # a row no report of the warehouse gave (a hand edit)
        conn.execute(
            """insert into marts.fct_indicator_values
               select state_code, programme_code, reporting_year, indicator_code, 'stray=' || source_row,
                      'stray', source_row::text, value, is_reported, comment, 'not-a-report', source_file,
                      source_sheet, source_row, report_version
               from marts.fct_indicator_values where report_id = 'kz-thb-2014-v1' limit 1"""
        )
    load_report_version(url, "kz-thb-2014-v3", "kz-thb-2014-v1", thb01=333)
    with pytest.raises(
        RuntimeError, match="(rows its reports do not explain|would hold .* rows).*full rebuild"
    ):
        build_warehouse(target_path=target)
    assert count(url, value) == published  # the previous marts stay, the stray row with them
    assert count(url, "select count(*) from marts.fct_indicator_values where report_id = 'not-a-report'") == 1

    with psycopg.connect(url) as conn:
        conn.execute("delete from marts.fct_indicator_values where report_id = 'not-a-report'")
    build_warehouse(target_path=target)
    assert count(url, value) == 333
    incremental = fingerprints(url)
    build_warehouse(target_path=target, full_refresh=True)
    assert fingerprints(url) == incremental
