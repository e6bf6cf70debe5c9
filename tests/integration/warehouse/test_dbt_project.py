"""The dbt project on a real, fresh embedded PostgreSQL with a small hand-made fixture.

The fixture rows are chosen to exercise the business rules the marts promise:
two versions of one report (the later version wins), figures a state did not report
(NULL, never 0), joint operations several states took part in (counted once at CIS
level), and measure statuses (implementation rate from counts). dbt runs in-process
through its programmatic API; every model, seed, data test and unit test must pass.
"""

from __future__ import annotations

import json
from decimal import Decimal

import psycopg
import pytest
from programme_monitoring.dev.warehouse_fixture import (
    load_fixture,
)


@pytest.fixture(scope="module")
def built_warehouse(own_warehouse, run_dbt_in_process):
    """The module's own PostgreSQL with the raw tables, the fixture rows and a dbt build."""
    url, _ = own_warehouse
    load_fixture(url)
    return url, run_dbt_in_process("build")


def _rows(url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _headline(url: str, year: int) -> dict:
    with psycopg.connect(url) as conn:
        cursor = conn.execute("select * from marts.rpt_headline_figures where reporting_year = %s", (year,))
        names = [c.name for c in cursor.description]
        (row,) = cursor.fetchall()
    return dict(zip(names, row, strict=True))


def test_dbt_build_succeeds_with_every_test(built_warehouse):
    _, result = built_warehouse
    assert result.exception is None, result.exception
    failed = [
        (r.node.unique_id, str(r.status), r.message)
        for r in result.result
        if str(r.status) not in ("success", "pass")
    ]
    assert result.success, failed
    kinds = {r.node.resource_type for r in result.result}
    assert {"seed", "model", "test", "unit_test"} <= {str(k) for k in kinds}


def test_layers_land_in_their_own_schemas(built_warehouse):
    url, _ = built_warehouse
    found = dict(
        _rows(
            url,
            """
        select table_name, table_schema from information_schema.tables
        where table_schema in ('reference', 'staging', 'intermediate', 'marts')""",
        )
    )
    assert found["member_states"] == "reference"
    assert found["headline_figures"] == "reference"
    assert found["stg_raw__report_headers"] == "staging"
    assert found["int_reports_latest_version"] == "intermediate"
    assert found["fct_indicator_values"] == "marts"
    assert found["rpt_headline_figures"] == "marts"


def test_latest_version_wins(built_warehouse):
    url, _ = built_warehouse
    rows = _rows(
        url,
        """
        select value, report_id, report_version, source_file from marts.fct_indicator_values
        where state_code = 'RU' and programme_code = 'THB' and reporting_year = 2014
          and indicator_code = 'THB01' and disaggregation = 'total'""",
    )
    assert rows == [(700, "ru-thb-2014-v2", 2, "ru-thb-2014-v2.xlsx")]
    (superseded,) = _rows(
        url, "select count(*) from marts.fct_indicator_values where report_id = 'ru-thb-2014-v1'"
    )
    assert superseded == (0,)


def test_not_reported_stays_null_not_zero(built_warehouse):
    url, _ = built_warehouse
    rows = _rows(
        url,
        """
        select state_code, value, is_reported from marts.fct_indicator_values
        where indicator_code = 'THB05' order by state_code""",
    )
    assert rows == [("KZ", None, False), ("RU", None, False)]
    # Nobody reported TRN02 in 2014 nor TRN01 in 2015: unknown, not zero.
    assert _headline(url, 2014)["specialists_certified"] is None
    assert _headline(url, 2015)["training_participants"] is None
    # One state not reporting IM02 does not blank the sum of the others.
    assert _headline(url, 2014)["migration_channels_blocked"] == 5


def test_headline_figures_2014(built_warehouse):
    url, _ = built_warehouse
    assert _headline(url, 2014) == {
        "reporting_year": 2014,
        "crimes_identified": 700 + 300 + 50 + 25,  # THB01 (latest RU version) + IM01 under CR
        "persons_brought_to_justice": 350 + 120 + 30 + 15,  # THB04 + IM05
        "criminal_groups_terminated": 10 + 4 + 1,
        "migration_channels_blocked": 5,
        # PRV-2014-01 (RU, KZ, BY), -02 (RU), -03 (KZ) once each; -04 has value 0.
        "comprehensive_preventive_measures": 3,
        "special_operations": 1,  # SPO-2014-01, taken part in by RU and KZ
        "training_participants": 100 + 20,
        "specialists_certified": None,
        "reports_used": 5,  # RU THB v2, KZ THB, RU/KZ/BY CR; v1 is superseded
    }
    assert _headline(url, 2015)["crimes_identified"] == 60


def test_implementation_rate(built_warehouse):
    url, _ = built_warehouse
    rows = _rows(
        url,
        """
        select state_code, programme_code, reporting_year, measures_due, measures_implemented,
               round(implementation_rate, 4), source_file
        from marts.rpt_programme_implementation order by programme_code, reporting_year, state_code""",
    )
    assert rows == [
        # CR 2014: four registry measures due (3.1.1 only from 2016); no statuses reported.
        ("BY", "CR", 2014, 4, 0, Decimal(0), "by-cr-2014-v1.xlsx"),
        ("KZ", "CR", 2014, 4, 0, Decimal(0), "kz-cr-2014-v1.xlsx"),
        ("RU", "CR", 2014, 4, 0, Decimal(0), "ru-cr-2014-v1.xlsx"),
        # IM 2015: 1.1.1, 2.1.1 and 3.1.1 due (2.1.2 only from 2016); two implemented.
        ("RU", "IM", 2015, 3, 2, Decimal("0.6667"), "ru-im-2015-v1.xlsx"),
        # THB 2014: all five registry measures due; the superseded version 1 said all five.
        ("KZ", "THB", 2014, 5, 1, Decimal("0.2"), "kz-thb-2014-v1.xlsx"),
        ("RU", "THB", 2014, 5, 3, Decimal("0.6"), "ru-thb-2014-v2.xlsx"),
    ]


def test_marts_trace_back_to_the_file_ledger(built_warehouse):
    url, _ = built_warehouse
    (orphans,) = _rows(
        url,
        """
        select count(*) from marts.fct_measure_implementation f
        left join audit.file_ledger l on l.file_sha256 = f.report_id and l.status = 'loaded'
        where l.file_sha256 is null""",
    )
    assert orphans == (0,)
    (illustrative,) = _rows(url, "select bool_and(is_illustrative) from marts.dim_programme_measure")
    assert illustrative == (True,)


def test_every_mart_is_contracted_labelled_and_keyed(built_warehouse, own_warehouse):
    """Every mart: contract enforced, every column described with English and Russian labels,
    and a key PostgreSQL or a blocking test holds (primary key / unique constraint or test)."""
    url, _ = built_warehouse
    target = own_warehouse[1] / "target"  # the fixture's dbt build
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    marts = [n for n in nodes.values() if n["resource_type"] == "model" and n["path"].startswith("marts/")]
    assert len(marts) >= 15
    keyed_by_test = {
        n["attached_node"]
        for n in nodes.values()
        if n["resource_type"] == "test"
        and (n.get("test_metadata") or {}).get("name") in ("unique", "unique_combination_of_columns")
    }
    problems = []
    for mart in marts:
        name = mart["name"]
        if not mart["config"]["contract"]["enforced"]:
            problems.append(f"{name}: contract not enforced")
        for column in mart["columns"].values():
            meta = column.get("meta") or column.get("config", {}).get("meta") or {}
            if not (column.get("description") and meta.get("label_en") and meta.get("label_ru")):
                problems.append(f"{name}.{column['name']}: description or RU/EN label missing")
        constraints = [c["type"] for c in mart["constraints"]] + [
            c["type"] for column in mart["columns"].values() for c in column.get("constraints", [])
        ]
        if not ({"primary_key", "unique"} & set(constraints) or mart["unique_id"] in keyed_by_test):
            problems.append(f"{name}: no key (primary key, unique constraint or unique test)")
    assert not problems, "\n".join(problems)
    with psycopg.connect(url) as conn:
        built = {
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            )
        }
    assert {m["name"] for m in marts} <= built
