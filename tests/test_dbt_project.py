"""The dbt project on a real, fresh embedded PostgreSQL with a small hand-made fixture.

The fixture rows are chosen to exercise the business rules the marts promise:
two versions of one report (the later version wins), figures a state did not report
(NULL, never 0), joint operations several states took part in (counted once at CIS
level), and measure statuses (implementation rate from counts). dbt runs in-process
through its programmatic API; every model, seed, data test and unit test must pass.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"

# report_id -> header; report_id stands in for the file's SHA-256.
REPORTS = {
    "ru-thb-2014-v1": ("RU", "THB", 2014, 1, dt.date(2015, 2, 10)),
    "ru-thb-2014-v2": ("RU", "THB", 2014, 2, dt.date(2015, 3, 1)),
    "kz-thb-2014-v1": ("KZ", "THB", 2014, 1, dt.date(2015, 2, 12)),
    "ru-cr-2014-v1": ("RU", "CR", 2014, 1, dt.date(2015, 2, 15)),
    "kz-cr-2014-v1": ("KZ", "CR", 2014, 1, dt.date(2015, 2, 16)),
    "by-cr-2014-v1": ("BY", "CR", 2014, 1, dt.date(2015, 2, 17)),
    "ru-im-2015-v1": ("RU", "IM", 2015, 1, dt.date(2016, 2, 1)),
}
REJECTED_FILE = "tm-cr-2016-rejected"

# (report_id, indicator_code, disaggregation, value); value None = not reported.
INDICATOR_VALUES = [
    # RU THB 2014, version 1: superseded, must not count.
    ("ru-thb-2014-v1", "THB01", "total", 600),
    ("ru-thb-2014-v1", "THB04", "total", 300),
    ("ru-thb-2014-v1", "TRN01", "total", 90),
    # RU THB 2014, version 2: the one that counts.
    ("ru-thb-2014-v2", "THB01", "total", 700),
    ("ru-thb-2014-v2", "THB02", "total", 40),
    ("ru-thb-2014-v2", "THB02", "sex=female", 30),
    ("ru-thb-2014-v2", "THB02", "sex=male", 10),
    ("ru-thb-2014-v2", "THB04", "total", 350),
    ("ru-thb-2014-v2", "THB05", "total", None),
    ("ru-thb-2014-v2", "TRN01", "total", 100),
    ("ru-thb-2014-v2", "TRN02", "total", None),
    # KZ THB 2014
    ("kz-thb-2014-v1", "THB01", "total", 300),
    ("kz-thb-2014-v1", "THB04", "total", 120),
    ("kz-thb-2014-v1", "THB05", "total", None),
    ("kz-thb-2014-v1", "TRN01", "total", 20),
    ("kz-thb-2014-v1", "TRN02", "total", None),
    # CR 2014: IM01/IM02/IM05 are reported under CR in 2014.
    ("ru-cr-2014-v1", "IM01", "total", 50),
    ("ru-cr-2014-v1", "IM02", "total", 5),
    ("ru-cr-2014-v1", "IM05", "total", 30),
    ("ru-cr-2014-v1", "CR01", "total", 10),
    ("ru-cr-2014-v1", "CR03", "total", 2),
    ("ru-cr-2014-v1", "CR03", "operation=PRV-2014-01", 1),
    ("ru-cr-2014-v1", "CR03", "operation=PRV-2014-02", 1),
    ("ru-cr-2014-v1", "CR02", "total", 1),
    ("ru-cr-2014-v1", "CR02", "operation=SPO-2014-01", 1),
    ("kz-cr-2014-v1", "IM01", "total", 25),
    ("kz-cr-2014-v1", "IM02", "total", None),
    ("kz-cr-2014-v1", "IM05", "total", 15),
    ("kz-cr-2014-v1", "CR01", "total", 4),
    ("kz-cr-2014-v1", "CR03", "total", 2),
    ("kz-cr-2014-v1", "CR03", "operation=PRV-2014-01", 1),
    ("kz-cr-2014-v1", "CR03", "operation=PRV-2014-03", 1),
    ("kz-cr-2014-v1", "CR02", "total", 1),
    ("kz-cr-2014-v1", "CR02", "operation=SPO-2014-01", 1),
    ("by-cr-2014-v1", "CR01", "total", 1),
    ("by-cr-2014-v1", "CR03", "total", 1),
    ("by-cr-2014-v1", "CR03", "operation=PRV-2014-01", 1),
    ("by-cr-2014-v1", "CR03", "operation=PRV-2014-04", 0),
    ("by-cr-2014-v1", "CR02", "total", 0),
    # RU IM 2015: nothing that feeds the training figures is reported.
    ("ru-im-2015-v1", "IM01", "total", 60),
    ("ru-im-2015-v1", "IM02", "total", 6),
    ("ru-im-2015-v1", "IM05", "total", 33),
    ("ru-im-2015-v1", "TRN01", "total", None),
]

# (report_id, measure_code, status)
MEASURE_STATUS = [
    # superseded version: everything implemented, must not count
    *[("ru-thb-2014-v1", code, "implemented") for code in ("1.1.1", "1.1.2", "2.1.1", "2.1.2", "3.1.1")],
    ("ru-thb-2014-v2", "1.1.1", "implemented"),
    ("ru-thb-2014-v2", "1.1.2", "implemented"),
    ("ru-thb-2014-v2", "2.1.1", "in_progress"),
    ("ru-thb-2014-v2", "2.1.2", "postponed"),
    ("ru-thb-2014-v2", "3.1.1", "implemented"),
    ("kz-thb-2014-v1", "1.1.1", "not_implemented"),
    ("kz-thb-2014-v1", "1.1.2", "implemented"),
    ("ru-im-2015-v1", "1.1.1", "implemented"),
    ("ru-im-2015-v1", "2.1.1", "implemented"),
    ("ru-im-2015-v1", "3.1.1", "in_progress"),
]


def load_fixture(url: str) -> None:
    with psycopg.connect(url) as conn:
        for report_id, (state, programme, year, version, submitted) in REPORTS.items():
            source_file = f"{report_id}.xlsx"
            conn.execute(
                """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                       state_code, programme_code, reporting_year, report_version)
                   values (%s, %s, 'xlsx', 1000, 'loaded', %s, %s, %s, %s)""",
                (report_id, source_file, state, programme, year, version),
            )
            conn.execute(
                """insert into raw.report_headers (report_id, source_file, file_format, state_code, authority,
                       programme_code, reporting_year, submission_date, report_version)
                   values (%s, %s, 'xlsx', %s, 'Test authority (SYNTHETIC)', %s, %s, %s, %s)""",
                (report_id, source_file, state, programme, year, submitted, version),
            )
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_bytes, status, reason)
               values (%s, 'TM_CR_2016_v1.csv', 10, 'rejected', 'not_participating')""",
            (REJECTED_FILE,),
        )
        for row_number, (report_id, code, disaggregation, value) in enumerate(INDICATOR_VALUES, start=2):
            conn.execute(
                """insert into raw.indicator_values (report_id, source_file, source_sheet, source_row,
                       indicator_code, disaggregation, value, is_reported, comment)
                   values (%s, %s, 'Indicators', %s, %s, %s, %s, %s, %s)""",
                (
                    report_id,
                    f"{report_id}.xlsx",
                    row_number,
                    code,
                    disaggregation,
                    value,
                    value is not None,
                    None if value is not None else "not available",
                ),
            )
        for row_number, (report_id, code, status) in enumerate(MEASURE_STATUS, start=2):
            conn.execute(
                """insert into raw.measure_status (report_id, source_file, source_sheet, source_row,
                       measure_code, status, narrative)
                   values (%s, %s, 'Measures', %s, %s, %s, 'test')""",
                (report_id, f"{report_id}.xlsx", row_number, code, status),
            )


@pytest.fixture(scope="module")
def built_warehouse(own_warehouse):
    """The module's own PostgreSQL with the raw tables, the fixture rows and a dbt build."""
    from dbt.cli.main import dbtRunner

    url, base = own_warehouse
    load_fixture(url)
    result = dbtRunner().invoke([
        "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(base / "target"),
        "--log-path", str(base / "logs"),
    ])  # fmt: skip
    return url, result


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
