"""Runs dbt against the warehouse and publishes the marts atomically.

dbt runs as a child process: its logging and global state stay out of the Airflow task,
and the connection reaches its profile through environment variables, never a file.

Publishing (``build_warehouse``) never shows a BI user a half-built set of marts:

1. ``dbt build --vars {marts_schema: marts_build}`` builds the marts into the schema
   ``marts_build`` (seeds, staging and intermediate land in their own schemas as usual)
   and runs every blocking data test there, unit tests included;
2. only when all of that passed, one transaction renames ``marts`` to
   ``marts_previous`` and ``marts_build`` to ``marts``, re-creates the views of other
   schemas that read the marts (PostgreSQL binds a view to the table, not its name) and
   drops ``marts_previous``.

A failing model or test leaves ``marts`` exactly as it was, readable throughout.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import sql

from programme_monitoring.settings import DBT_PROJECT_DIR
from programme_monitoring.warehouse.access import apply_access_policies
from programme_monitoring.warehouse.connection import connection_parts, warehouse_url

log = logging.getLogger(__name__)

MARTS_SCHEMA = "marts"
BUILD_SCHEMA = "marts_build"


class DbtError(RuntimeError):
    pass


def dbt_environment() -> dict[str, str]:
    parts = connection_parts(warehouse_url())
    env = dict(os.environ)
    env.update(
        {
            "WAREHOUSE_HOST": parts["host"],
            "WAREHOUSE_PORT": parts["port"],
            "WAREHOUSE_USER": parts["user"],
            "WAREHOUSE_PASSWORD": parts["password"],
            "WAREHOUSE_DB": parts["dbname"],
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    return env


def run_dbt(*args: str, target_path: Path | None = None) -> str:
    """Run one dbt command in the project; return its output, raise DbtError with it on failure."""
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    if target_path is not None:
        command += ["--target-path", str(target_path)]
    log.info("running %s", " ".join(command[:3]))
    result = subprocess.run(
        command, capture_output=True, text=True, env=dbt_environment(), cwd=DBT_PROJECT_DIR
    )
    if result.returncode != 0:
        raise DbtError(f"dbt {args[0]} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}")
    return result.stdout


AS_OF_SUFFIX = "_as_of"


def dbt_vars(as_of: str | None = None) -> dict[str, str]:
    """The ``--vars`` of a build: where the marts are built aside and, for history, the moment.

    A history build (``as_of``) uses its own layers (``staging_as_of``, ``intermediate_as_of``,
    ``marts_as_of``) so the live marts and views are never touched.
    """
    if not as_of:
        return {"marts_schema": BUILD_SCHEMA}
    return {
        "as_of": as_of,
        "layer_suffix": AS_OF_SUFFIX,
        "marts_schema": MARTS_SCHEMA + AS_OF_SUFFIX + "_build",
    }


def build_warehouse(
    as_of: str | None = None, target_path: Path | None = None, full_refresh: bool = False
) -> str:
    """Seed, build and test everything with the marts built aside, then publish them atomically.

    ``as_of`` (a timestamp such as ``"2016-03-01 00:00:00+00"``) rebuilds every figure as it
    stood at that moment into ``marts_as_of``; ``None`` (the default) means everything loaded
    so far, published as ``marts``.

    The large intermediate tables (accepted indicator values, URS counts by month) are
    incremental: a build writes only the rows of reports and extracts that changed since
    the last one. ``full_refresh`` rebuilds them whole (``dbt build --full-refresh``).
    The marts are always built whole, aside, from those tables.
    """
    values = dbt_vars(as_of)
    build_schema = values["marts_schema"]
    published = build_schema.removesuffix("_build")
    if target_path is None and as_of:
        # Its own target folder: history builds use other --vars, and dbt re-parses the
        # whole project when the vars differ from those of its saved partial-parse state.
        target_path = DBT_PROJECT_DIR / "target" / "as_of"
    with psycopg.connect(warehouse_url(), autocommit=True) as conn:
        # A build that failed earlier may have left its half-built schema: start clean.
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(build_schema)))
    args = ["build", "--vars", json.dumps(values)] + (["--full-refresh"] if full_refresh else [])
    output = run_dbt(*args, target_path=target_path)
    publish_marts(build_schema, published)
    return output


def _dependent_views(conn: psycopg.Connection, schema: str) -> list[tuple[str, str, str]]:
    """Views outside ``schema`` that read it, directly or through other views, in creation order.

    Returns (schema, name, definition, options, [(grantee, privilege)], depth), the definition
    written against the schema's name (captured before the swap).
    """
    return conn.execute(
        """
        with recursive dependents (oid, depth) as (
            select distinct rewrite.ev_class, 1
            from pg_depend as dep
            join pg_rewrite as rewrite on rewrite.oid = dep.objid
            join pg_class as source on source.oid = dep.refobjid
            join pg_namespace as source_ns on source_ns.oid = source.relnamespace
            where source_ns.nspname = %(schema)s and dep.classid = 'pg_rewrite'::regclass
            union
            select rewrite.ev_class, dependents.depth + 1
            from dependents
            join pg_depend as dep on dep.refobjid = dependents.oid and dep.classid = 'pg_rewrite'::regclass
            join pg_rewrite as rewrite on rewrite.oid = dep.objid
            where rewrite.ev_class <> dependents.oid and dependents.depth < 50
        )
        select
            ns.nspname, view.relname, pg_get_viewdef(view.oid), view.reloptions,
            (
                select array_agg(array[grantee.rolname, acl.privilege_type])
                from aclexplode(view.relacl) as acl
                join pg_roles as grantee on grantee.oid = acl.grantee
                where acl.grantee <> view.relowner
            ),
            deepest.depth
        from (select oid, max(depth) as depth from dependents group by oid) as deepest
        join pg_class as view on view.oid = deepest.oid
        join pg_namespace as ns on ns.oid = view.relnamespace
        where ns.nspname <> %(schema)s and view.relkind = 'v'
        order by deepest.depth, view.oid
        """,
        {"schema": schema},
    ).fetchall()


def publish_marts(build_schema: str = BUILD_SCHEMA, schema: str = MARTS_SCHEMA) -> None:
    """Swap ``marts_build`` in for ``marts`` in one transaction (readers never see a gap)."""
    previous_schema = schema + "_previous"
    with psycopg.connect(warehouse_url()) as conn, conn.transaction():
        exists = conn.execute("select count(*) from pg_namespace where nspname = %s", (schema,)).fetchone()[0]
        views = _dependent_views(conn, schema) if exists else []
        if exists:
            conn.execute(
                sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(schema), sql.Identifier(previous_schema)
                )
            )
        conn.execute(
            sql.SQL("alter schema {} rename to {}").format(
                sql.Identifier(build_schema), sql.Identifier(schema)
            )
        )
        if exists:
            conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(previous_schema)))
        for view_schema, view_name, definition, options, grants, _depth in views:
            view = sql.Identifier(view_schema, view_name)
            with_options = sql.SQL(" with ({})".format(", ".join(options))) if options else sql.SQL("")
            conn.execute(
                sql.SQL("create or replace view {}{} as ").format(view, with_options)
                + sql.SQL(definition.rstrip().rstrip(";"))
            )
            for grantee, privilege in grants or []:
                conn.execute(
                    sql.SQL("grant {} on {} to {}").format(sql.SQL(privilege), view, sql.Identifier(grantee))
                )
        # Fresh tables carry no grants, row-level security or policies: re-apply them in
        # the same transaction, so no reader ever sees the new marts without them.
        apply_access_policies(conn, marts_schema=schema)
    log.info("published %s (%d dependent views kept)", schema, len(views))


def generate_docs(target_path: Path | None = None) -> Path:
    """``dbt docs generate``: the documentation site (models, columns with labels, lineage)."""
    run_dbt("docs", "generate", target_path=target_path)
    return (target_path or DBT_PROJECT_DIR / "target") / "index.html"
