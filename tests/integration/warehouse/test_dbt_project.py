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


# -- what a BI tool reads from PostgreSQL's catalogue --------------------------------------


def _marts_in_manifest(own_warehouse) -> list[dict]:
    nodes = json.loads((own_warehouse[1] / "target" / "manifest.json").read_text())["nodes"]
    return [n for n in nodes.values() if n["resource_type"] == "model" and n["path"].startswith("marts/")]


def _labels(node: dict) -> str:
    meta = {**(node.get("meta") or {}), **(node.get("config", {}).get("meta") or {})}
    return f"{meta['label_ru']} / {meta['label_en']}"


def _comments(url: str, schema: str) -> dict[tuple[str, str | None], str | None]:
    """(table, column or None) -> its comment, for every table and column of the schema."""
    rows = _rows(
        url,
        """
        select c.relname, null::text, obj_description(c.oid, 'pg_class')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relkind in ('r', 'p')
        union all
        select c.relname, a.attname::text, col_description(c.oid, a.attnum)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = %s and c.relkind in ('r', 'p')""",
        schema,
        schema,
    )
    return {(table, column): comment for table, column, comment in rows}


def _constraints(url: str, schema: str) -> dict[str, tuple[str, str, str | None]]:
    """Constraint name -> (table, type, referenced table) of every constraint of the schema
    (p primary key, f foreign key, u unique, c check, n not null on PostgreSQL 18)."""
    rows = _rows(
        url,
        """
        select con.conname, c.relname, con.contype, ref.relname
        from pg_constraint con
        join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_class ref on ref.oid = con.confrelid
        where n.nspname = %s""",
        schema,
    )
    return {name: (table, kind, ref) for name, table, kind, ref in rows}


def _assert_catalogue(url: str, own_warehouse, schema: str) -> None:
    """Every mart table and column has its Russian / English comment; keys have stable names."""
    comments = _comments(url, schema)
    problems = []
    for mart in _marts_in_manifest(own_warehouse):
        table = mart["name"]
        comment = comments.get((table, None)) or ""
        if not (comment.startswith(_labels(mart)) and mart["description"].split()[0] in comment):
            problems.append(f"{table}: comment {comment!r}")
        for column in mart["columns"].values():
            comment = comments.get((table, column["name"])) or ""
            if not comment.startswith(_labels(column)):
                problems.append(f"{table}.{column['name']}: comment {comment!r}")
    assert not problems, "\n".join(problems)
    assert all(comments.values()), [key for key, comment in comments.items() if not comment]
    names = _constraints(url, schema)
    assert len(names) > 100 and not [name for name in names if "__" in name], (
        names
    )  # no __dbt_tmp, no leftovers


def test_every_mart_table_and_column_has_a_russian_and_english_comment(built_warehouse, own_warehouse):
    url, _ = built_warehouse
    _assert_catalogue(url, own_warehouse, "marts")
    (comment,) = _rows(url, "select col_description('marts.fct_indicator_values'::regclass, 1)")
    assert comment[0].startswith("Государство / State\n")


def test_keys_are_declared_with_stable_names(built_warehouse, own_warehouse):
    url, _ = built_warehouse
    constraints = _constraints(url, "marts")
    marts = {m["name"] for m in _marts_in_manifest(own_warehouse)}
    keyless = {"rpt_urs_indicators_shared"}  # NULL citizenship on total rows: a unique test instead
    for table in marts - keyless:
        assert constraints.get(f"{table}_pkey") == (table, "p", None), table
    # Every foreign key the marts' contracts declare is a foreign key PostgreSQL holds (no
    # relationships test repeats them: PostgreSQL checks them while the rows go in).
    expected = set()
    for mart in _marts_in_manifest(own_warehouse):
        declared = [
            (c, [column["name"]]) for column in mart["columns"].values() for c in column["constraints"]
        ]
        declared += [(c, c["columns"]) for c in mart["constraints"]]
        for constraint, columns in declared:
            if constraint["type"] == "foreign_key":
                to = constraint["to"].split("'")[1] if "'" in constraint["to"] else constraint["to"]
                expected.add(
                    (f"{mart['name']}_{'_'.join(columns)}_fkey", mart["name"], to.split(".")[-1].strip('"'))
                )
    assert len(expected) >= 20
    assert {(name, t, ref) for name, (t, kind, ref) in constraints.items() if kind == "f"} >= expected
    with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute(
            "insert into marts.dim_reporting_authority (authority_key, state_code, authority_name, "
            "programme_codes, first_reporting_year, last_reporting_year, reports_accepted) "
            "values ('XX:test', 'XX', 'test', 'THB', 2014, 2014, 1)"
        )
    # Every row rule a contract declares is a check PostgreSQL holds, under the name declared.
    checks = {
        (constraint["name"], mart["name"])
        for mart in _marts_in_manifest(own_warehouse)
        for constraint in mart["constraints"]
        if constraint["type"] == "check"
    }
    assert len(checks) >= 30 and all(name for name, _ in checks)
    assert {(name, t) for name, (t, kind, _) in constraints.items() if kind == "c"} >= checks
    with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.CheckViolation) as refused:
        conn.execute(
            "insert into marts.dim_reporting_authority (authority_key, state_code, authority_name, "
            "programme_codes, first_reporting_year, last_reporting_year, reports_accepted) "
            "values ('XX:test', 'XX', 'test', 'THB', 2014, 2014, 0)"
        )
    assert refused.value.diag.constraint_name == "dim_reporting_authority_reports_accepted_check"


def test_rates_have_a_fixed_scale(built_warehouse):
    url, _ = built_warehouse
    numeric = _rows(
        url,
        """
        select table_name, column_name, numeric_precision, numeric_scale from information_schema.columns
        where table_schema = 'marts' and data_type = 'numeric' order by 1, 2""",
    )
    assert numeric and all(scale is not None for _, _, _, scale in numeric), numeric
    rates = {(t, c): (p, s) for t, c, p, s in numeric if c.endswith("_rate")}
    assert set(rates.values()) == {(7, 4)} and len(rates) == 5
    (rate,) = _rows(
        url,
        "select implementation_rate from marts.rpt_programme_implementation "
        "where state_code = 'RU' and programme_code = 'IM'",
    )
    assert str(rate[0]) == "0.6667"


def test_the_build_gives_no_warnings(built_warehouse, own_warehouse):
    log = (own_warehouse[1] / "logs" / "dbt.log").read_text()
    warnings = [line for line in log.splitlines() if "[warn" in line.lower() or "[WARNING]" in line]
    assert not warnings, "\n".join(warnings[:10])


def test_the_revisions_mart_says_what_a_correction_changed(built_warehouse):
    url, _ = built_warehouse
    rows = _rows(
        url,
        """
        select state_code, programme_code, reporting_year, indicator_code, disaggregation, change_type,
               old_value, new_value, old_report_version, new_report_version, old_source_file,
               new_source_file, is_in_force
        from marts.rpt_revisions order by indicator_code""",
    )
    files = ("ru-thb-2014-v1.xlsx", "ru-thb-2014-v2.xlsx")
    assert rows == [
        ("RU", "THB", 2014, "THB01", "total", "updated", 600, 700, 1, 2, *files, True),
        ("RU", "THB", 2014, "THB02", "total", "added", None, 40, 1, 2, *files, True),
        ("RU", "THB", 2014, "THB04", "total", "updated", 300, 350, 1, 2, *files, True),
        ("RU", "THB", 2014, "TRN01", "total", "updated", 90, 100, 1, 2, *files, True),
    ]


def _login(url: str, group: str) -> psycopg.Connection:
    from psycopg import sql

    user, password = f"test_{group}", "test-" + group
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(user)))
        admin.execute(
            sql.SQL("create role {} login password {}").format(sql.Identifier(user), sql.Literal(password))
        )
        admin.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), sql.Identifier(user)))
    return psycopg.connect(url, user=user, password=password, autocommit=True)


def test_analysts_read_revisions_and_history_that_bi_does_not_even_see(built_warehouse):
    from programme_monitoring.warehouse import access

    url, _ = built_warehouse
    with psycopg.connect(
        url, autocommit=True
    ) as admin:  # a published history build, as the transform leaves it
        admin.execute("create schema if not exists marts_as_of")
        admin.execute("create table if not exists marts_as_of.rpt_headline_figures (reporting_year integer)")
    access.apply_access(url)
    schemas = (
        "select schema_name from information_schema.schemata "
        "where schema_name not in ('pg_catalog', 'information_schema')"
    )
    with _login(url, access.ANALYST) as analyst:
        assert analyst.execute("select count(*) from marts.rpt_revisions").fetchone()[0] == 4
        assert analyst.execute("select count(*) from marts_as_of.rpt_headline_figures").fetchone()[0] == 0
        assert {"marts", "marts_as_of"} <= {r[0] for r in analyst.execute(schemas)}
    with _login(url, access.BI_READER) as bi:
        assert {r[0] for r in bi.execute(schemas)} == {"marts", "public"}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bi.execute("select * from marts_as_of.rpt_headline_figures")


def test_a_rebuild_in_place_keeps_the_names(built_warehouse, own_warehouse, run_dbt_in_process):
    url, _ = built_warehouse
    result = run_dbt_in_process("run", "--select", "rpt_revisions")
    assert result.success, result.exception
    names = {
        name for name, (table, kind, _) in _constraints(url, "marts").items()
        if table == "rpt_revisions" and kind in ("p", "f")
    }  # fmt: skip
    assert names == {
        "rpt_revisions_pkey",
        "rpt_revisions_state_code_fkey",
        "rpt_revisions_programme_code_fkey",
        "rpt_revisions_indicator_code_fkey",
    }
    assert _comments(url, "marts")[("rpt_revisions", "old_value")].startswith("Прежнее значение / Old value")


def test_comments_and_keys_travel_with_the_published_marts(
    built_warehouse, own_warehouse, run_dbt_in_process
):
    """The transform builds the marts aside (marts_build) and publishes them: the catalogue goes along."""
    from programme_monitoring.warehouse.publish import BUILD_SCHEMA, publish_marts

    url, _ = built_warehouse
    result = run_dbt_in_process(
        "run", "--select", "path:models/marts", "--vars", json.dumps({"marts_schema": BUILD_SCHEMA})
    )
    assert result.success, result.exception
    publish_marts()
    _assert_catalogue(url, own_warehouse, "marts")
    assert _constraints(url, "marts")["fct_indicator_values_state_code_fkey"] == (
        "fct_indicator_values", "f", "dim_member_state",
    )  # fmt: skip


def test_the_dbt_docs_open_from_disk(built_warehouse, own_warehouse, run_dbt_in_process):
    """``dbt docs generate --static`` (the dbt-docs command): one page with the models, the
    labels and the catalogue's comments inside, nothing to serve."""
    result = run_dbt_in_process("docs", "generate", "--static")
    assert result.success, result.exception
    page = (own_warehouse[1] / "target" / "static_index.html").read_text()
    assert "rpt_revisions" in page
    # A column's comment, from the catalogue (the page holds its JSON, non-ASCII escaped).
    assert json.dumps("Прежнее значение / Old value")[1:-1] in page


def test_a_row_breaking_a_marts_rule_fails_its_build_aside(built_warehouse, run_dbt_in_process):
    """A mart's row rules are check constraints of its contract, no longer data tests: a row
    breaking one (a negative count) fails the model while dbt inserts it into the table built
    aside, so the transform never publishes it and the published mart stays as it was. (Every
    mart is built, as the transform builds them: the foreign keys need their dimensions beside.)"""
    from programme_monitoring.warehouse.publish import BUILD_SCHEMA, MARTS_SCHEMA

    url, _ = built_warehouse
    published = _rows(url, "select count(*), sum(value) from marts.fct_indicator_values")
    key = "state_code, programme_code, reporting_year, indicator_code, disaggregation"
    where = f"where ({key}) = (%s, %s, %s, %s, %s)"
    with psycopg.connect(url) as conn:
        *row, value = conn.execute(
            f"select {key}, value from intermediate.int_indicator_values_accepted where value > 0 limit 1"
        ).fetchone()
        conn.execute(f"update intermediate.int_indicator_values_accepted set value = -5 {where}", row)
    try:
        result = run_dbt_in_process(
            "build", "--select", "path:models/marts", "--exclude-resource-type", "unit_test",
            "--vars", json.dumps({"marts_schema": BUILD_SCHEMA, "published_marts_schema": MARTS_SCHEMA}),
        )  # fmt: skip
    finally:
        with psycopg.connect(url) as conn:
            conn.execute(
                f"update intermediate.int_indicator_values_accepted set value = %s {where}", (value, *row)
            )
            conn.execute(f"drop schema if exists {BUILD_SCHEMA} cascade")
    assert not result.success
    failed = {r.node.name: r.message for r in result.result if str(r.status) == "error"}
    assert 'violates check constraint "fct_indicator_values_value_check"' in failed.pop(
        "fct_indicator_values"
    )
    # and the marts that read the fact (the state's time series) break the same rule
    assert all("violates check constraint" in message for message in failed.values()), failed
    assert _rows(url, "select count(*), sum(value) from marts.fct_indicator_values") == published


def test_a_contracted_table_gets_its_keys_after_its_rows(built_warehouse, own_warehouse):
    """Keys declared in CREATE TABLE are maintained row by row: the 1M-row fact took 4.5x as
    long to build that way (bench/bench_mart_keys.py; macros/create_table_as.sql)."""
    compiled = own_warehouse[1] / "target" / "run" / "programme_monitoring" / "models" / "marts"
    create, _, after = (compiled / "fct_indicator_values.sql").read_text().partition("insert into")
    assert "not null" in create and "check (" in create  # row rules stay inline
    assert "primary key" not in create and "references" not in create
    assert "add primary key" in after and after.count("add foreign key") == 3


def test_a_total_that_is_not_the_sum_of_its_parts_fails_naming_its_column(
    built_warehouse, run_dbt_in_process
):
    """The sums of a mart's columns are checked by one test per mart and source of parts
    (``columns_equal_sums_of``): each column still fails alone, and a failing row says which."""
    url, _ = built_warehouse
    tampered = "where reporting_year = 2014"
    with psycopg.connect(url) as conn:
        (before,) = conn.execute(
            f"select persons_brought_to_justice from marts.rpt_headline_figures {tampered}"
        ).fetchone()
        conn.execute(
            "update marts.rpt_headline_figures set crimes_identified = crimes_identified + 1,"
            f" persons_brought_to_justice = null {tampered}"
        )
    try:
        result = run_dbt_in_process("test", "--select", "rpt_headline_figures_equal_the_states_totals")
        assert not result.success
        (test,) = result.result
        assert str(test.status) == "fail" and test.failures == 2
        with psycopg.connect(url) as conn:
            failing = conn.execute(test.node.compiled_code).fetchall()
    finally:
        with psycopg.connect(url) as conn:
            conn.execute(
                "update marts.rpt_headline_figures set crimes_identified = crimes_identified - 1,"
                f" persons_brought_to_justice = %s {tampered}",
                (before,),
            )
    assert sorted((year, column, whole is None) for year, column, whole, _ in failing) == [
        (2014, "crimes_identified", False),
        (2014, "persons_brought_to_justice", True),
    ]
    assert run_dbt_in_process("test", "--select", "rpt_headline_figures_equal_the_states_totals").success
