"""Publishing the marts: built aside, swapped in whole, reproducible, as of any past date, one
build at a time.

Runs ``programme_monitoring.transform.build_warehouse`` (dbt as a child process, as the
DAG does) on its own embedded PostgreSQL with the fixture rows of test_dbt_project.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading

import psycopg
import pytest
from programme_monitoring.dev.warehouse_fixture import load_fixture
from test_dbt_incremental import load_report_version, withdraw_report_version

# ru-thb-2014-v2 (THB01 = 700) arrives a month after everything else (v1 said 600).
LOADED_AT = dt.datetime(2015, 3, 1, tzinfo=dt.UTC)
V2_LOADED_AT = dt.datetime(2015, 4, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def warehouse(own_warehouse):
    url, base = own_warehouse
    load_fixture(url)
    with psycopg.connect(url) as conn:
        conn.execute("update raw.report_headers set loaded_at = %s", (LOADED_AT,))
        conn.execute(
            "update raw.report_headers set loaded_at = %s where report_id = 'ru-thb-2014-v2'",
            (V2_LOADED_AT,),
        )
    return url, base / "target"


def _mart_fingerprints(url: str, schema: str = "marts") -> dict[str, str]:
    """md5 of every table's rows, sorted: equal fingerprints = identical tables."""
    with psycopg.connect(url) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = %s "
                "and table_type = 'BASE TABLE' order by 1",
                (schema,),
            )
        ]
        return {
            table: conn.execute(
                f"select md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) "
                f'from "{schema}"."{table}" as t'
            ).fetchone()[0]
            for table in tables
        }


def _value(url: str, schema: str = "marts"):
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"""select value from "{schema}".fct_indicator_values where state_code = 'RU'
                and programme_code = 'THB' and reporting_year = 2014 and indicator_code = 'THB01'
                and disaggregation = 'total'"""
        ).fetchone()[0]


def test_publishing_is_atomic_reproducible_and_keeps_views(warehouse):
    from programme_monitoring.warehouse.dbt_process import DbtError
    from programme_monitoring.warehouse.transform import build_warehouse

    url, target = warehouse
    build_warehouse(target_path=target)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema if not exists bi")
        conn.execute(
            "create view bi.headline as "
            "select reporting_year, crimes_identified from marts.rpt_headline_figures"
        )
        conn.execute("create view bi.headline_2014 as select * from bi.headline where reporting_year = 2014")
    first = _mart_fingerprints(url)
    assert {"rpt_headline_figures", "rpt_reporting_completeness", "rpt_validation_findings"} <= set(first)

    # Rebuilding the same data gives identical tables (no wall-clock time in any row),
    # and views that read the marts survive the schema swap.
    build_warehouse(target_path=target)
    assert _mart_fingerprints(url) == first
    with psycopg.connect(url) as conn:
        assert conn.execute("select crimes_identified from bi.headline_2014").fetchone() == (1075,)
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace")}
    assert "marts_build" not in schemas and "marts_previous" not in schemas

    # A correction (version 2 of KZ's THB report) carrying a code the catalogue lacks (written
    # past the intake, which refuses it) fails the fact table's key to dim_indicator: nothing
    # is published, the previous marts stay whole and readable.
    load_report_version(url, "kz-thb-2014-v2", "kz-thb-2014-v1", thb01=310)
    with psycopg.connect(url) as conn:
        conn.execute(
            "update raw.indicator_values set indicator_code = 'THB99' where report_id = 'kz-thb-2014-v2' "
            "and indicator_code = 'THB01' and disaggregation = 'total'"
        )
    with pytest.raises(DbtError, match="fct_indicator_values"):
        build_warehouse(target_path=target)
    assert _mart_fingerprints(url) == first
    with psycopg.connect(url) as conn:
        assert conn.execute("select crimes_identified from bi.headline_2014").fetchone() == (1075,)
    # The bad version is withdrawn: the incremental intermediate drops its rows again and
    # the marts come back identical to the first build.
    withdraw_report_version(url, "kz-thb-2014-v2")
    build_warehouse(target_path=target)
    assert _mart_fingerprints(url) == first


def test_figures_as_they_stood_on_a_past_date(warehouse):
    from programme_monitoring.warehouse.transform import build_warehouse

    url, target = warehouse
    build_warehouse(target_path=target)  # the live layers (nothing to do if built already)
    seeds = "select xmin::text, * from reference.member_states order by 2"
    with psycopg.connect(url) as conn:
        live_seeds = conn.execute(seeds).fetchall()
    build_warehouse(as_of="2015-03-15 00:00:00+00", target_path=target)
    assert _value(url, "marts_as_of") == 600  # version 2 had not arrived yet
    with psycopg.connect(url) as conn:
        # The moment is recorded on the schema; the live reference data was not reloaded.
        (comment,) = conn.execute(
            "select obj_description('marts_as_of'::regnamespace, 'pg_namespace')"
        ).fetchone()
        assert conn.execute(seeds).fetchall() == live_seeds
    assert json.loads(comment) == {"as_of": "2015-03-15 00:00:00+00"}
    # Completeness as of that day counts only the reports already due (2014's, deadline
    # 1 March 2015), not the years to come as missing; the live marts expect every year.
    expected = (
        "select distinct reporting_year from {}.rpt_reporting_completeness where is_expected order by 1"
    )
    with psycopg.connect(url) as conn:
        assert [r[0] for r in conn.execute(expected.format("marts_as_of"))] == [2014]
        assert [r[0] for r in conn.execute(expected.format("marts"))][:2] == [2014, 2015]
    build_warehouse(target_path=target)
    assert _value(url) == 700  # the live marts are untouched by the history build
    build_warehouse(as_of="2015-04-02 00:00:00+00", target_path=target)
    assert _value(url, "marts_as_of") == 700


def test_reporting_completeness_and_ratios(warehouse):
    from programme_monitoring.warehouse.transform import build_warehouse

    url, target = warehouse
    build_warehouse(target_path=target)
    with psycopg.connect(url) as conn:
        thb = conn.execute(
            """select reports_expected, reports_received, reports_on_time
               from marts.rpt_reporting_completeness_cis
               where programme_code = 'THB' and reporting_year = 2014"""
        ).fetchone()
        # 9 THB participants in 2014 (not MD, TM); RU and KZ reported; RU's first version
        # came on 10 Feb 2015, KZ's on 12 Feb: both by the 1 March deadline.
        assert thb == (9, 2, 2)
        not_expected = conn.execute(
            """select count(*) from marts.rpt_reporting_completeness
               where state_code in ('MD', 'TM', 'GE') and programme_code = 'THB' and is_expected"""
        ).fetchone()
        assert not_expected == (0,)
        # PRG03 (implementation rate) CIS-wide = summed implemented / summed due: THB 2014
        # RU 3/5 and KZ 1/5 plus CR 2014 (0 of 4 for RU, KZ, BY) -> 4 / 22, not the mean of ratios.
        rate = conn.execute(
            """select numerator_value, denominator_value, round(value, 6)
               from marts.rpt_indicator_values_cis where indicator_code = 'PRG03' and reporting_year = 2014"""
        ).fetchone()
        assert rate[:2] == (4, 22)
        assert float(rate[2]) == pytest.approx(4 / 22, abs=5e-5)  # numeric(24,4): 0.1818


def test_a_build_started_while_another_runs_waits_for_it_then_builds_what_is_new(warehouse, caplog):
    # An operator's transform while the DAG builds: two builds at once would drop each
    # other's half-built marts_build and write the same incremental tables.
    from programme_monitoring.warehouse.transform import build_warehouse, one_build_at_a_time

    url, target = warehouse
    build_warehouse(target_path=target)
    before = _value(url)
    load_report_version(url, "ru-thb-2014-v3", "ru-thb-2014-v2", thb01=before + 1)
    outcome: list = []

    def build() -> None:
        try:
            outcome.append(build_warehouse(target_path=target))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcome.append(error)

    try:
        with caplog.at_level(logging.INFO, "programme_monitoring.warehouse.transform"):
            with one_build_at_a_time():  # another build holds the warehouse
                waiting = threading.Thread(target=build)
                waiting.start()
                waiting.join(5)
                assert waiting.is_alive() and not outcome, outcome
                assert _value(url) == before
            waiting.join(300)
        assert outcome and isinstance(outcome[0], str), outcome
        assert "another build of the warehouse is running: waiting for it to end" in caplog.text
        assert _value(url) == before + 1

        # Two real builds at once, after one more version: both end well, the marts hold it.
        load_report_version(url, "ru-thb-2014-v4", "ru-thb-2014-v3", thb01=before + 2)
        outcome.clear()
        builds = [threading.Thread(target=build) for _ in range(2)]
        for each in builds:
            each.start()
        for each in builds:
            each.join(300)
        assert len(outcome) == 2 and all(isinstance(o, str) for o in outcome), outcome
        assert _value(url) == before + 2
    finally:
        withdraw_report_version(url, "ru-thb-2014-v4")
        withdraw_report_version(url, "ru-thb-2014-v3")
        build_warehouse(target_path=target)
    assert _value(url) == before
