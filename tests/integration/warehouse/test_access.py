"""Roles, grants and row-level security on the session's real warehouse.

The checked-in matrix docs/privileges.csv is compared with what PostgreSQL grants for
every pm_ role x every object (database, every schema, every table and view) x every
privilege; then LOGIN users that are members of the group roles try what they must not.
"""

from __future__ import annotations

import csv
from pathlib import Path

import psycopg
import pytest
from programme_monitoring.settings import PROJECT_ROOT
from programme_monitoring.warehouse import access
from psycopg import errors, sql

MATRIX = PROJECT_ROOT / "docs" / "privileges.csv"
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
PASSWORD = "test-login-" + "x" * 12  # the server asks every role for its password


@pytest.fixture(scope="module")
def warehouse(request, warehouse_url, tmp_path_factory) -> str:
    """The warehouse with marts built (the session's chain if there is one), URS marts, and access applied."""
    try:
        request.getfixturevalue("chain_run")
    except pytest.FixtureLookupError:
        from programme_monitoring.dev import samples
        from programme_monitoring.intake import ingest as intake
        from programme_monitoring.settings import paths
        from programme_monitoring.warehouse.transform import build_warehouse

        samples.generate_samples(paths().landing, seed=2014)
        intake.ingest_landing()
        build_warehouse()
    _load_urs_sample(tmp_path_factory.mktemp("urs-access"))
    access.apply_access()
    return warehouse_url


def _load_urs_sample(folder: Path) -> None:
    import os

    from programme_monitoring.dev.urs_extracts import write_synthetic_extract
    from programme_monitoring.urs import extract as urs
    from programme_monitoring.urs.pseudonym import KEY_ENV
    from programme_monitoring.warehouse.dbt_process import run_dbt

    os.environ.setdefault(KEY_ENV, "test-key-" + "0" * 40)
    extract = write_synthetic_extract(folder / "urs_access.csv", 3000, seed=11, persons=400)
    assert urs.ingest_extract(extract).status in ("loaded", "duplicate")
    run_dbt("build", "--select", "+path:models/marts/urs")


@pytest.fixture(scope="module")
def login(warehouse):
    """connect(group_role) -> a connection as a fresh LOGIN user that is a member of that role only."""
    created: list[str] = []
    connections: list[psycopg.Connection] = []

    def connect(*groups: str) -> psycopg.Connection:
        user = f"pm_test_{len(created)}_{'_'.join(g.removeprefix('pm_') for g in groups) or 'nobody'}"[:60]
        with psycopg.connect(warehouse, autocommit=True) as admin:
            admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(user)))
            admin.execute(
                sql.SQL("create role {} login password {}").format(
                    sql.Identifier(user), sql.Literal(PASSWORD)
                )
            )
            for group in groups:
                admin.execute(sql.SQL("grant {} to {}").format(sql.Identifier(group), sql.Identifier(user)))
        created.append(user)
        conn = psycopg.connect(warehouse, user=user, password=PASSWORD, autocommit=True)
        connections.append(conn)
        return conn

    yield connect
    for conn in connections:
        conn.close()
    with psycopg.connect(warehouse, autocommit=True) as admin:
        for user in created:
            admin.execute(sql.SQL("drop owned by {}").format(sql.Identifier(user)))
            admin.execute(sql.SQL("drop role {}").format(sql.Identifier(user)))


def read_matrix() -> set[tuple[str, str, str]]:
    lines = [line for line in MATRIX.read_text().splitlines() if line and not line.startswith("#")]
    return {(r["role"], r["object"], r["privilege"].upper()) for r in csv.DictReader(lines)}


def expected(matrix, role: str, obj: str, privilege: str) -> bool:
    if (role, obj, privilege) in matrix:
        return True
    if "." in obj:
        schema, name = obj.split(".", 1)
        return (role, f"{schema}.{name}", privilege) in matrix or (role, f"{schema}.*", privilege) in matrix
    return False


def actual_privileges(conn: psycopg.Connection, roles: list[str]) -> dict[tuple[str, str, str], bool]:
    """Every role x object x privilege as PostgreSQL answers it (membership and PUBLIC included)."""
    version = conn.info.server_version
    table_privileges = list(access.TABLE_PRIVILEGES) + (["MAINTAIN"] if version >= 170000 else [])
    result: dict[tuple[str, str, str], bool] = {}
    for role, privilege, granted in conn.execute(
        """select r, p, has_database_privilege(r, current_database(), p)
           from unnest(%s::text[]) r, unnest(array['CONNECT', 'CREATE', 'TEMP']) p""",
        (roles,),
    ):
        result[(role, "database", privilege)] = granted
    for role, schema, privilege, granted in conn.execute(
        """select r, n.nspname, p, has_schema_privilege(r, n.oid, p)
           from unnest(%s::text[]) r, pg_namespace n, unnest(array['USAGE', 'CREATE']) p
           where n.nspname <> all(%s) and n.nspname not like 'pg\\_temp\\_%%'
             and n.nspname not like 'pg\\_toast\\_temp\\_%%'""",
        (roles, list(SYSTEM_SCHEMAS)),
    ):
        if schema == "public" and privilege == "USAGE":
            continue  # PostgreSQL's default for the public schema; nothing of ours lives there
        result[(role, f"schema:{schema}", privilege)] = granted
    for role, obj, privilege, granted in conn.execute(
        """select r, n.nspname || '.' || c.relname, p, has_table_privilege(r, c.oid, p)
           from unnest(%s::text[]) r, pg_class c join pg_namespace n on n.oid = c.relnamespace,
                unnest(%s::text[]) p
           where c.relkind in ('r', 'p', 'v', 'm', 'f') and n.nspname <> all(%s)
             and n.nspname not like 'pg\\_temp\\_%%'""",
        (roles, table_privileges, list(SYSTEM_SCHEMAS)),
    ):
        result[(role, obj, privilege)] = granted
    return result


# -- the matrix ---------------------------------------------------------------------------


def test_matrix_file_matches_the_code():
    """docs/privileges.csv is the reviewed copy of access.intended_grants(): they must not drift."""
    from_code = {(r, "database", "CONNECT") for r in access.all_roles()}
    from_code |= {(role, "database", privilege) for role, privilege in access.DATABASE_EXTRA}
    for g in access.intended_grants():
        obj = f"schema:{g.schema}" if g.privilege in ("USAGE", "CREATE") else f"{g.schema}.{g.table}"
        from_code.add((g.role, obj, g.privilege))
    assert read_matrix() == from_code


def test_postgres_grants_exactly_the_matrix(warehouse):
    matrix = read_matrix()
    roles = sorted({role for role, _, _ in matrix} | set(access.all_roles()))
    with psycopg.connect(warehouse) as conn:
        actual = actual_privileges(conn, roles)
        relations = {obj for (_, obj, _) in actual if "." in obj}
    assert any(obj.startswith("marts.") for obj in relations), "no marts were built"
    differences = sorted(
        f"{role} {privilege} on {obj}: PostgreSQL {'grants' if granted else 'refuses'}, the matrix disagrees"
        for (role, obj, privilege), granted in actual.items()
        if granted != expected(matrix, role, obj, privilege)
    )
    # Every explicit row of the matrix must name an object that exists (or marts_build, built on demand).
    missing = sorted(
        f"{role} {privilege} on {obj}: no such object"
        for role, obj, privilege in matrix
        if "*" not in obj
        and obj not in ("schema:marts_build", "schema:marts_as_of", "schema:marts_approved")
        and (role, obj, privilege) not in actual
    )
    assert not differences + missing, "\n".join(differences + missing)


def test_apply_is_idempotent(warehouse):
    summary = access.apply_access()
    assert summary["roles_created"] == []
    test_postgres_grants_exactly_the_matrix(warehouse)


# -- what each role must not do -----------------------------------------------------------


def test_bi_reader_reads_marts_but_not_raw_or_the_ledger(login):
    conn = login(access.BI_READER)
    assert conn.execute("select count(*) from marts.rpt_headline_figures").fetchone()[0] > 0
    assert conn.execute("select count(*) from marts.rpt_urs_indicators_shared").fetchone()[0] > 0
    for table in ("raw.report_headers", "raw.urs_events", "audit.file_ledger", "audit.urs_extract_ledger"):
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(f"select * from {table} limit 1")
    for view in ("intermediate.int_indicator_values_accepted", "staging.stg_urs__events"):
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(f"select * from {view} limit 1")


def test_loader_cannot_read_marts_or_change_the_schema(login):
    conn = login(access.LOADER)
    assert conn.execute("select count(*) from audit.file_ledger").fetchone()[0] >= 0
    for statement in (
        "select * from marts.rpt_headline_figures limit 1",
        "select * from marts.fct_urs_indicators_monthly limit 1",
        "create table raw.intruder (x int)",
        "create table marts.intruder (x int)",
        "create table public.intruder (x int)",
        "create temp table intruder (x int)",
    ):
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
    for statement in (
        "alter table raw.report_headers add column intruder int",
        "drop table raw.urs_events",
        "alter table audit.file_ledger disable row level security",
    ):
        with pytest.raises(errors.InsufficientPrivilege):  # must be owner
            conn.execute(statement)


def test_auditor_reads_the_ledgers_only(login):
    conn = login(access.AUDITOR)
    conn.execute("select count(*) from audit.file_ledger")
    conn.execute("select count(*) from audit.urs_extract_ledger")
    for statement in ("select 1 from raw.urs_events limit 1", "select 1 from marts.dim_programme limit 1"):
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
    with pytest.raises(errors.InsufficientPrivilege):
        conn.execute("delete from audit.file_ledger")


def test_reviewer_reads_marts_and_findings_and_writes_decisions_only(login, warehouse):
    conn = login(access.REVIEWER)
    assert conn.execute("select count(*) from marts.rpt_validation_findings").fetchone()[0] > 0
    for table in access.REVIEWER_AUDIT_TABLES:
        conn.execute(f"select count(*) from audit.{table}")
    for statement in (
        "select 1 from raw.report_headers limit 1",
        "select 1 from audit.file_ledger limit 1",
        "select 1 from intermediate.int_reports_latest_version limit 1",
        "insert into audit.finding_reviews (finding_id, status, previous_status) values ('x', 'o', '')",
        "update audit.findings set present = false",
        "delete from audit.validation_findings",
        "delete from marts.rpt_validation_findings",
        "create table marts.intruder (x int)",
        "create table audit.intruder (x int)",
    ):
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)


def test_only_the_reviewer_and_the_loader_may_write_review_decisions(warehouse):
    """EXECUTE on audit.review_finding (the way decisions are written), for every pm_ role."""
    with psycopg.connect(warehouse) as conn:
        may = dict(
            conn.execute(
                "select r, has_function_privilege(r, %s, 'execute') from unnest(%s::text[]) r",
                (access.REVIEW_FUNCTION, access.all_roles()),
            ).fetchall()
        )
    granted = {role for role, function in access.FUNCTION_EXECUTE if function == access.REVIEW_FUNCTION}
    assert (
        {role for role, may_write in may.items() if may_write} == granted == {access.REVIEWER, access.LOADER}
    )


def test_approver_approves_and_unlocks_and_does_nothing_else(login, warehouse):
    """pm_approver writes approvals and unlocks (the tables stamp who and when), reads those
    two tables, and nothing else; the loader, who may write audit, still may not approve."""
    with psycopg.connect(warehouse) as admin:
        state, programme, year, report_id = admin.execute(
            """select state_code, programme_code, reporting_year, file_sha256 from audit.file_ledger
               where status = 'loaded' order by file_sha256 limit 1"""
        ).fetchone()
    conn = login(access.APPROVER)
    versions = conn.execute("select * from audit.report_versions(%s, %s, %s)", (state, programme, year))
    assert report_id in [r[0] for r in versions]
    conn.execute(
        """insert into audit.report_approvals (state_code, programme_code, reporting_year, report_id, action,
               note, decided_by, decided_at)
           values (%s, %s, %s, %s, 'approve', 'checked', 'someone else', '2000-01-01')""",
        (state, programme, year, report_id),
    )
    (who, when) = conn.execute(
        "select decided_by, decided_at from audit.report_approvals order by event_id desc limit 1"
    ).fetchone()
    assert who == conn.execute("select current_user").fetchone()[0] and when.year > 2000
    for statement in (
        "update audit.report_approvals set note = 'changed'",
        "delete from audit.report_approvals",
        "truncate audit.report_approvals",
        "select 1 from audit.file_ledger limit 1",
        "select 1 from raw.report_headers limit 1",
        "select 1 from marts.dim_programme limit 1",
        "update audit.file_ledger set status = 'loaded'",
        "insert into audit.import_summary (file_sha256) values ('x')",
    ):
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
    loader = login(access.LOADER)
    with pytest.raises(errors.InsufficientPrivilege, match="pm_approver"):
        loader.execute(
            """insert into audit.report_approvals (state_code, programme_code, reporting_year, report_id,
                   action, note) values (%s, %s, %s, %s, 'revoke', 'forged')""",
            (state, programme, year, report_id),
        )
    with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
        loader.execute("delete from audit.report_approvals")
    auditor = login(access.AUDITOR)
    assert auditor.execute("select count(*) from audit.report_approvals").fetchone()[0] >= 1
    auditor.execute("select count(*) from audit.period_locks")
    with pytest.raises(errors.InsufficientPrivilege):
        auditor.execute(
            "insert into audit.period_locks (reporting_year, action, reason) values (2014, 'unlock', 'x')"
        )


def test_analyst_reads_marts_and_approved_intermediate_relations_only(login, warehouse):
    conn = login(access.ANALYST)
    for relation in access.APPROVED_INTERMEDIATE:
        conn.execute(f"select count(*) from intermediate.{relation}")
    with psycopg.connect(warehouse) as admin:
        others = [
            r[0]
            for r in admin.execute(
                """select table_name from information_schema.tables
                   where table_schema = 'intermediate' and table_name <> all(%s)""",
                (list(access.APPROVED_INTERMEDIATE),),
            )
        ]
    assert {"int_urs_indicator_events", "int_urs_indicators_monthly"} <= set(others)  # a view and a table
    for view in others:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(sql.SQL("select 1 from intermediate.{} limit 1").format(sql.Identifier(view)))


def _state_tables(conn: psycopg.Connection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
               join pg_attribute a on a.attrelid = c.oid and a.attname = 'state_code'
               where n.nspname = 'marts' and c.relkind in ('r', 'p') order by 1"""
        )
    ]


def test_every_mart_with_state_code_forces_row_level_security(warehouse):
    with psycopg.connect(warehouse) as conn:
        tables = _state_tables(conn)
        assert {"fct_indicator_values", "fct_urs_indicators_monthly"} <= set(tables)
        flags = dict(
            conn.execute(
                """select c.relname, c.relrowsecurity and c.relforcerowsecurity from pg_class c
                   join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'marts'
                   and c.relname = any(%s)""",
                (tables,),
            ).fetchall()
        )
    assert flags == dict.fromkeys(tables, True)


@pytest.mark.parametrize("state", ["KZ", "RU"])
def test_a_state_role_sees_exactly_its_own_rows_in_every_mart(login, warehouse, state):
    with psycopg.connect(warehouse) as admin:
        tables = _state_tables(admin)
        truth = {
            t: admin.execute(
                sql.SQL("select count(*) filter (where state_code = %s), count(*) from marts.{}").format(
                    sql.Identifier(t)
                ),
                (state,),
            ).fetchone()
            for t in tables
        }
    conn = login(access.state_role(state))
    seen_rows = 0
    for table in tables:
        codes, count = conn.execute(
            sql.SQL("select array_agg(distinct state_code), count(*) from marts.{}").format(
                sql.Identifier(table)
            )
        ).fetchone()
        assert set(codes or []) <= {state}, f"{table}: {state} sees rows of {codes}"
        assert count == truth[table][0], f"{table}: {state} sees {count} of its {truth[table][0]} rows"
        seen_rows += count
    assert seen_rows > 0 and any(own < total for own, total in truth.values())
    # Through a view too: a security-invoker view over a mart keeps the caller's policy.
    with pytest.raises(errors.InsufficientPrivilege):
        conn.execute("select * from raw.report_headers limit 1")


def test_analyst_and_bi_see_all_rows(login, warehouse):
    with psycopg.connect(warehouse) as admin:
        totals = {
            t: admin.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in _state_tables(admin)
        }
    for role in (access.ANALYST, access.BI_READER):
        conn = login(role)
        for table, total in totals.items():
            assert conn.execute(f"select count(*) from marts.{table}").fetchone()[0] == total


def test_the_transformer_may_stage_rows_in_a_temporary_table(login):
    """dbt's incremental models need TEMP; nobody else has it (see the next test)."""
    login(access.TRANSFORMER).execute("create temp table staged (x int)")
    with pytest.raises(errors.InsufficientPrivilege):
        login(access.ANALYST).execute("create temp table staged (x int)")


def test_a_user_in_no_group_sees_nothing(login):
    conn = login()
    for statement in (
        "select 1 from marts.fct_indicator_values limit 1",
        "create table public.intruder (x int)",
        "create temp table intruder (x int)",
    ):
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)


def test_views_run_with_the_callers_rights(warehouse):
    with psycopg.connect(warehouse) as conn:
        rows = conn.execute(
            """select n.nspname, c.relname, coalesce(c.reloptions, '{}') @> array['security_invoker=true']
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where c.relkind = 'v' and n.nspname in ('staging', 'intermediate', 'marts')"""
        ).fetchall()
        keep = access.owner_rights_views(conn)
        approved_views = {
            ("intermediate", name)
            for (name,) in conn.execute(
                """select table_name from information_schema.views
                   where table_schema = 'intermediate' and table_name = any(%s)""",
                (list(access.APPROVED_INTERMEDIATE),),
            )
        }
    assert approved_views and approved_views <= keep
    assert all(schema != "marts" for schema, _ in keep)
    assert rows
    wrong = [f"{schema}.{name}" for schema, name, invoker in rows if invoker == ((schema, name) in keep)]
    assert not wrong, wrong
