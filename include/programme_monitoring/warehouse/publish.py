"""Publishing the marts built aside: one transaction moves them into ``marts``.

``transform.build_warehouse`` builds the selected marts in ``marts_build`` and runs their
tests there; only then ``publish_tables`` replaces their namesakes in ``marts``, all in
one transaction: each rebuilt mart's table is moved in (``ALTER TABLE ... SET SCHEMA``: a
set of renames in one transaction is as atomic as a schema swap), the views of other
schemas that read a replaced mart are re-created (PostgreSQL binds a view to the table,
not its name), the access grants and row-level security re-applied, and what the marts
were built from recorded on the schema.

A mart published by report (``PUBLISHED_BY_REPORT``: ``fct_indicator_values``, one row
per value) is not replaced after new reports: ``marts_build`` then holds only the rows of
the reports it does not hold yet (``macros/publish_by_report.sql``), and the same
transaction deletes the rows of the reports that no longer count and inserts those, so a
new report costs its own rows, not a copy of every value. Its keys and checks hold the
inserted rows, and the transaction fails unless the table then holds as many rows as the
intermediate table it is built from.

A failing model or test leaves ``marts`` exactly as it was, readable throughout. The
renames need a moment's exclusive lock on each replaced table: a BI session that keeps a
transaction open on a mart would make them wait, and every new query on that mart would
queue behind the waiting rename. So the publishing transaction waits at most
``lock_timeout`` for each lock, rolls back (letting the queued readers through) and
tries again after a growing pause; after the last attempt it fails with a message that
says so (``PublishError``), the previous marts still whole.

History builds (``as_of``, ``approved_only``) are built whole into their own schemas and
swapped in as a schema (``publish_marts``).
"""

from __future__ import annotations

import json
import logging
import time

import psycopg
from psycopg import sql

from programme_monitoring.warehouse.access import apply_access_policies
from programme_monitoring.warehouse.connection import warehouse_url
from programme_monitoring.warehouse.findings_register import sync_register

log = logging.getLogger(__name__)

MARTS_SCHEMA = "marts"
BUILD_SCHEMA = "marts_build"
# How long the publishing transaction waits for each table lock, and how often it tries.
LOCK_TIMEOUT_SECONDS = 2.0
PUBLISH_ATTEMPTS = 8
FIRST_PAUSE_SECONDS = 0.5
MAX_PAUSE_SECONDS = 15.0
# Marts published by report after new reports, with the table each is built from (its rows
# are those of the reports in that table): macros/publish_by_report.sql.
PUBLISHED_BY_REPORT = {"fct_indicator_values": ("intermediate", "int_indicator_values_accepted")}


class PublishError(RuntimeError):
    """The marts could not be published (readers kept them locked through every attempt)."""


def _dependent_views(
    conn: psycopg.Connection, schema: str, tables: list[str] | None = None
) -> list[tuple[str, str, str]]:
    """Views that read ``schema`` (or only these ``tables`` of it), directly or through other
    views, in creation order; views inside ``schema`` itself only when ``tables`` is given.

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
                and (%(tables)s::text[] is null or source.relname = any(%(tables)s::text[]))
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
        where (ns.nspname <> %(schema)s or %(tables)s::text[] is not null) and view.relkind = 'v'
            and not (ns.nspname = %(schema)s and view.relname = any(coalesce(%(tables)s::text[], '{}')))
        order by deepest.depth, view.oid
        """,
        {"schema": schema, "tables": tables},
    ).fetchall()


def _recreate_views(conn: psycopg.Connection, views: list[tuple]) -> None:
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


def _relations(conn: psycopg.Connection, schema: str) -> list[tuple[str, str]]:
    """(name, kind) of the tables and views of a schema: kind 'table' or 'view'."""
    return conn.execute(
        """select c.relname, case when c.relkind = 'v' then 'view' else 'table' end
           from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
           where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') order by c.relname""",
        (schema,),
    ).fetchall()


def _refuse_dangling_keys(conn: psycopg.Connection, schema: str, gone: list[str]) -> None:
    """DROP ... CASCADE of a replaced mart would silently drop the keys of kept marts that
    reference it: dbt rebuilds what references a rebuilt mart; this names it if that breaks."""
    dangling = conn.execute(
        """select con.conrelid::regclass::text, con.conname from pg_constraint as con
           join pg_class as referenced on referenced.oid = con.confrelid
           join pg_class as referencing on referencing.oid = con.conrelid
           where con.contype = 'f' and referenced.relnamespace = %(schema)s::regnamespace
               and referencing.relnamespace = %(schema)s::regnamespace
               and referenced.relname = any(%(gone)s) and not referencing.relname = any(%(gone)s)""",
        {"schema": schema, "gone": gone},
    ).fetchall()
    if dangling:
        raise RuntimeError(f"kept marts reference rebuilt ones (their keys would be dropped): {dangling}")


def _add_reports(conn: psycopg.Connection, build_schema: str, schema: str, name: str) -> None:
    """In ``conn``'s transaction: the mart ``name``, published by report, loses the rows of the
    reports no longer in the table it is built from and gains those built in ``build_schema``.

    Both tables are keyed by period (state x programme x year, one report each): which reports
    each holds is read by one index probe per period (``audit.reports_by_period``), and the
    rows of a stale report are found by its period, so the cost follows the reports that
    change, not the number of values.
    """
    source_schema, source = PUBLISHED_BY_REPORT[name]
    table = sql.Identifier(schema, name)
    held, wanted = (
        sql.SQL("audit.reports_by_period({}::regclass)").format(sql.Literal(relation.as_string(conn)))
        for relation in (table, sql.Identifier(source_schema, source))
    )
    # Its readers' row-level policies bind its owner too (FORCE): lifted for this transaction
    # only, under the exclusive lock that replacing the table would take as well.
    conn.execute(sql.SQL("alter table {} no force row level security").format(table))
    conn.execute(
        sql.SQL(
            """delete from {table} as published
               using (select * from {held} except select * from {wanted}) as stale
               where (published.state_code, published.programme_code, published.reporting_year)
                     = (stale.state_code, stale.programme_code, stale.reporting_year)
                   and published.report_id = stale.report_id"""
        ).format(table=table, held=held, wanted=wanted)
    )
    columns = sql.SQL(", ").join(
        sql.Identifier(column)
        for (column,) in conn.execute(
            """select column_name from information_schema.columns
               where table_schema = %s and table_name = %s order by ordinal_position""",
            (build_schema, name),
        )
    )
    rebuild = (
        "run a full rebuild (transform --full-refresh); the previous marts stay published. "
        "Выполните полную пересборку (transform --full-refresh); прежние витрины остаются опубликованными."
    )
    try:
        conn.execute(
            sql.SQL("insert into {} ({}) select {} from {}").format(
                table, columns, columns, sql.Identifier(build_schema, name)
            )
        )
    except psycopg.errors.UniqueViolation as error:  # rolls the publication back: the previous marts stay
        raise RuntimeError(
            f"{schema}.{name} holds rows its reports do not explain, where the new reports' rows "
            f"go ({error.diag.message_detail}) / {schema}.{name} содержит строки, не подтверждённые "
            f"отчётами, на месте строк новых отчётов: {rebuild}"
        ) from error
    # Every row accounted for: a row the reports do not explain (a hand edit, a second report
    # for one period) would otherwise stay published until a full rebuild.
    rows, expected = conn.execute(
        sql.SQL("select (select count(*) from {}), (select count(*) from {})").format(
            table, sql.Identifier(source_schema, source)
        )
    ).fetchone()
    if rows != expected:  # rolls the publication back: the previous marts stay
        raise RuntimeError(
            f"{schema}.{name} would hold {rows} rows after adding the new reports, but "
            f"{source_schema}.{source} holds {expected} / после добавления новых отчётов в "
            f"{schema}.{name} было бы {rows} строк, а в {source_schema}.{source} их {expected}: {rebuild}"
        )
    conn.execute(sql.SQL("alter table {} force row level security").format(table))


def _move_tables(
    conn: psycopg.Connection, build_schema: str, schema: str, replace_all: bool, by_report: bool = False
) -> list[str]:
    """In ``conn``'s transaction: every relation of ``build_schema`` replaces its namesake in
    ``schema`` (``replace_all``: relations of ``schema`` not rebuilt are dropped too), except
    that with ``by_report`` a mart published by report gets the reports built aside added."""
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    built = _relations(conn, build_schema)
    names = [name for name, _kind in built]
    published = dict(_relations(conn, schema))
    added = [
        name for name in names if by_report and name in PUBLISHED_BY_REPORT and published.get(name) == "table"
    ]
    gone = [name for name in published if (replace_all or name in names) and name not in added]
    _refuse_dangling_keys(conn, schema, gone)
    views = _dependent_views(conn, schema, gone) if gone else []
    for name in gone:
        conn.execute(
            sql.SQL("drop {} if exists {} cascade").format(
                sql.SQL(published[name]), sql.Identifier(schema, name)
            )
        )
    for name, kind in built:
        if name not in added:
            conn.execute(
                sql.SQL("alter {} {} set schema {}").format(
                    sql.SQL(kind), sql.Identifier(build_schema, name), sql.Identifier(schema)
                )
            )
    for name in added:
        _add_reports(conn, build_schema, schema, name)
    conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(build_schema)))
    _recreate_views(conn, views)
    return names


def publish_tables(
    build_schema: str = BUILD_SCHEMA,
    schema: str = MARTS_SCHEMA,
    *,
    state: dict[str, str] | None = None,
    replace_all: bool = False,
    by_report: bool = False,
    url: str | None = None,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    attempts: int = PUBLISH_ATTEMPTS,
    first_pause: float = FIRST_PAUSE_SECONDS,
) -> list[str]:
    """Move the marts rebuilt in ``build_schema`` into ``schema`` in one transaction; return their names.
    ``by_report``: the build added new reports only (a mart published by report then holds
    only their rows in ``build_schema``, and they are added to the published one).

    Views elsewhere that read a replaced mart are re-created, access grants and row-level
    security re-applied, and ``state`` (what the marts were built from) recorded as the
    schema's COMMENT, all in the same transaction. Each lock is waited for at most
    ``lock_timeout`` seconds; then the transaction rolls back and is tried again after a
    pause that doubles each time, ``attempts`` times in all, before ``PublishError``.
    """
    pause = first_pause
    for attempt in range(1, attempts + 1):
        try:
            with psycopg.connect(url or warehouse_url()) as conn, conn.transaction():
                conn.execute(
                    "select set_config('lock_timeout', %s, true)", (f"{round(lock_timeout * 1000)}ms",)
                )
                moved = _move_tables(conn, build_schema, schema, replace_all, by_report)
                # Fresh tables carry no grants, row-level security or policies: re-apply them in
                # the same transaction, so no reader ever sees the new marts without them.
                apply_access_policies(conn, marts_schema=schema, rls_tables=None if replace_all else moved)
                if schema == MARTS_SCHEMA:  # every finding published keeps its identity and history
                    sync_register(conn)
                if state is not None:
                    comment = json.dumps(
                        {
                            "built_from": state,
                            "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        }
                    )
                    conn.execute(
                        sql.SQL("comment on schema {} is {}").format(
                            sql.Identifier(schema), sql.Literal(comment)
                        )
                    )
        except psycopg.errors.LockNotAvailable as error:
            if attempt == attempts:
                raise PublishError(
                    f"the marts were not published: after {attempts} attempts, each waiting up to "
                    f"{lock_timeout:g} s for its locks, readers still held {schema} tables in open "
                    f"transactions; the previous marts stay published and the new ones wait in "
                    f"{build_schema} until the next build. "
                    f"Витрины не опубликованы: после {attempts} попыток (каждая ждала блокировок до "
                    f"{lock_timeout:g} с) читатели всё ещё держали таблицы витрин в открытых "
                    f"транзакциях; прежние витрины остаются опубликованными. ({error.diag.message_primary})"
                ) from error
            log.warning(
                "publishing %s: a reader holds a lock (attempt %d of %d), trying again in %.1f s",
                schema, attempt, attempts, pause,
            )  # fmt: skip
            time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)
            continue
        log.info("published %d tables into %s", len(moved), schema)
        return moved
    raise AssertionError("unreachable")


def publish_marts(
    build_schema: str = BUILD_SCHEMA, schema: str = MARTS_SCHEMA, as_of: str | None = None
) -> None:
    """Swap ``marts_build`` in for ``marts`` in one transaction (readers never see a gap); a
    history build's moment (``as_of``) is recorded as the schema's COMMENT."""
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
        _recreate_views(conn, views)
        # Fresh tables carry no grants, row-level security or policies: re-apply them in
        # the same transaction, so no reader ever sees the new marts without them.
        apply_access_policies(conn, marts_schema=schema)
        if as_of:
            comment = json.dumps({"as_of": as_of})
            conn.execute(
                sql.SQL("comment on schema {} is {}").format(sql.Identifier(schema), sql.Literal(comment))
            )
    log.info("published %s (%d dependent views kept)", schema, len(views))
