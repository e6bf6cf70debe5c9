"""Runs dbt against the warehouse and publishes the marts atomically.

dbt runs in a child process of its own (``dbt_process``): its logging and global state stay
out of the Airflow task, and the connection reaches its profile through environment
variables, never a file.

Publishing (``build_warehouse``) never shows a BI user a half-built set of marts, and
rebuilds only what changed:

1. what changed since the last publication is read from the ledgers (a fingerprint of
   ``audit.file_ledger`` and the report headers, of the validation findings, of
   ``audit.urs_extract_ledger``) and the project's code (models, macros, seeds, tests),
   and compared with the one recorded on the ``marts`` schema (its COMMENT) by the last
   publication. New reports select the models downstream of the report sources
   (``source:raw.indicator_values+`` ...), a new URS extract those downstream of the URS
   sources; changed code, ``full_refresh`` or a first build select everything; nothing
   changed builds nothing;
2. ``dbt build`` of that selection, without dbt's unit tests (the test suite runs them),
   builds the selected marts aside in ``marts_build`` (a rebuilt mart reads, and its foreign
   keys reference, the published marts not rebuilt: ``macros/ref.sql``,
   ``macros/create_table_as.sql``) and runs every blocking data test there;
3. only when all of that passed, one transaction drops each rebuilt mart from ``marts``
   and moves its new table in (``ALTER TABLE ... SET SCHEMA``: a set of renames in one
   transaction is as atomic as a schema swap), re-creates the views of other schemas that
   read them (PostgreSQL binds a view to the table, not its name), re-applies the access
   grants and row-level security, and records the new fingerprint.

A failing model or test leaves ``marts`` exactly as it was, readable throughout. The
renames need a moment's exclusive lock on each replaced table: a BI session that keeps a
transaction open on a mart would make them wait, and every new query on that mart would
queue behind the waiting rename. So the publishing transaction waits at most
``lock_timeout`` for each lock, rolls back (letting the queued readers through) and
tries again after a growing pause; after the last attempt it fails with a message that
says so (``PublishError``), the previous marts still whole.

History builds (``as_of``) are built whole into their own schemas, swapped in as a schema.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

import psycopg
from psycopg import sql

from programme_monitoring.settings import DBT_PROJECT_DIR
from programme_monitoring.warehouse.access import apply_access_policies
from programme_monitoring.warehouse.connection import warehouse_url
from programme_monitoring.warehouse.dbt_process import DbtError, run_dbt
from programme_monitoring.warehouse.findings_register import sync_register

log = logging.getLogger(__name__)

MARTS_SCHEMA = "marts"
BUILD_SCHEMA = "marts_build"
# Models downstream of these sources are rebuilt when the reports (or their review) change,
# or when the URS extracts change.
REPORT_SOURCES = (
    "source:raw.report_headers+",
    "source:raw.indicator_values+",
    "source:raw.measure_status+",
    "source:audit.file_ledger+",
    "source:audit.validation_findings+",
    "source:audit.report_approvals+",
)
URS_SOURCES = ("source:raw.urs_events+", "source:audit.urs_extract_ledger+")
# dbt's unit tests check model code against fixed rows, not the data: the test suite runs them.
PRODUCTION_EXCLUDE = ("resource_type:unit_test",)
# How long the publishing transaction waits for each table lock, and how often it tries.
LOCK_TIMEOUT_SECONDS = 2.0
PUBLISH_ATTEMPTS = 8
FIRST_PAUSE_SECONDS = 0.5
MAX_PAUSE_SECONDS = 15.0
CODE_FOLDERS = ("models", "macros", "seeds", "tests")
NOTHING_CHANGED = "nothing changed since the last publication: nothing built"


class PublishError(RuntimeError):
    """The marts could not be published (readers kept them locked through every attempt)."""


AS_OF_SUFFIX = "_as_of"
APPROVED_SUFFIX = "_approved"


def dbt_vars(as_of: str | None = None, approved_only: bool = False) -> dict[str, str]:
    """The ``--vars`` of a build: where the marts are built aside and, for history, the moment.

    A history build (``as_of``) uses its own layers (``staging_as_of``, ``intermediate_as_of``,
    ``marts_as_of``) so the live marts and views are never touched. An approved-versions build
    (``approved_only``: of each report the version an approver approved, not the newest; the
    Council report's mode) does the same into ``*_approved``.
    """
    if approved_only:
        return {
            "approved_only": True,
            "layer_suffix": APPROVED_SUFFIX,
            "marts_schema": MARTS_SCHEMA + APPROVED_SUFFIX + "_build",
        }
    if not as_of:
        # The same vars for every live build (other vars force dbt to re-parse the project).
        return {"marts_schema": BUILD_SCHEMA, "published_marts_schema": MARTS_SCHEMA}
    return {
        "as_of": as_of,
        "layer_suffix": AS_OF_SUFFIX,
        "marts_schema": MARTS_SCHEMA + AS_OF_SUFFIX + "_build",
    }


def build_warehouse(
    as_of: str | None = None,
    target_path: Path | None = None,
    full_refresh: bool = False,
    approved_only: bool = False,
) -> str:
    """Build and test what changed since the last publication with the marts built aside,
    then publish them atomically; return dbt's output (or why nothing was built).

    ``as_of`` (a timestamp such as ``"2016-03-01 00:00:00+00"``) rebuilds every figure as it
    stood at that moment into ``marts_as_of``; ``None`` (the default) means everything loaded
    so far, published as ``marts``.

    The large intermediate tables (accepted indicator values, URS counts by month) are
    incremental: a build writes only the rows of reports and extracts that changed since
    the last one. ``full_refresh`` rebuilds them, and every mart, whole
    (``dbt build --full-refresh``).

    ``approved_only`` rebuilds every figure from the approved version of each report (none
    for a report not approved) into ``marts_approved``, as a history build is built: whole,
    in its own layers, the live marts untouched.
    """
    values = dbt_vars(as_of, approved_only)
    build_schema = values["marts_schema"]
    aside = bool(as_of or approved_only)  # built whole into its own layers
    if target_path is None and aside:
        # Its own target folder: these builds use other --vars, and dbt re-parses the
        # whole project when the vars differ from those of its saved partial-parse state.
        target_path = DBT_PROJECT_DIR / "target" / ("approved" if approved_only else "as_of")
    with psycopg.connect(warehouse_url(), autocommit=True) as conn:
        # A build that failed earlier may have left its half-built schema: start clean.
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(build_schema)))
        state = None if aside else current_state(conn)
        selection = None if aside or full_refresh else changed_selection(conn, state)
        # A history build reads the reference data the live builds loaded; it never reloads
        # the seeds into the live reference schema (unless they were never loaded).
        seeded = conn.execute("select to_regclass('reference.member_states') is not null").fetchone()[0]
    if selection == []:
        log.info("nothing changed since the marts were last published: nothing to build")
        return NOTHING_CHANGED
    exclude = [*PRODUCTION_EXCLUDE, *(["resource_type:seed"] if aside and seeded else [])]
    if selection:
        # Only data changed: a view reads its tables when queried and needs no rebuild (new
        # code selects everything). Its tests, selected downstream of the sources, still run
        # on the new rows (an "empty" indirect selection does not exclude them with it).
        exclude.append("config.materialized:view")
    args = ["build", "--vars", json.dumps(values), "--exclude", *exclude]
    args += ["--select", *selection, "--indirect-selection", "empty"] if selection else []
    args += ["--full-refresh"] if full_refresh else []
    try:
        output = run_dbt(*args, target_path=target_path)
    except DbtError:
        if state is not None:
            # The incremental intermediate tables may already hold the new rows: the next
            # build must not take the marts for up to date with the ledgers.
            _forget_published_state(("reports", "urs") if selection else ("code",))
        raise
    if aside:
        publish_marts(build_schema, build_schema.removesuffix("_build"), as_of=as_of)
    else:
        publish_tables(build_schema, MARTS_SCHEMA, state=state, replace_all=selection is None)
    return output


def project_fingerprint() -> str:
    """SHA-256 of the dbt project's code (models, macros, seeds, tests, dbt_project.yml)."""
    digest = hashlib.sha256()
    files = [DBT_PROJECT_DIR / "dbt_project.yml"]
    for folder in CODE_FOLDERS:
        files += sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def current_state(conn: psycopg.Connection) -> dict[str, str]:
    """Fingerprints of what the marts are built from: the code, the reports, the URS extracts.

    Each is a hash of a few small ledgers (one row per file), not of the values: a report's
    rows never change once loaded (its id is the hash of its file).
    """
    reports, urs = conn.execute(
        """select
               md5(concat_ws('|',
                   (select string_agg(concat_ws(',', file_sha256, status, superseded_by), ';'
                                      order by file_sha256)
                    from audit.file_ledger where status in ('loaded', 'superseded')),
                   (select concat_ws(',', count(*), max(loaded_at)) from raw.report_headers),
                   (select concat_ws(',', count(*), max(found_at), max(reviewed_at), count(reviewed_at))
                    from audit.validation_findings),
                   -- review decisions: the marts carry the status (an automatic one, written
                   -- when the marts are published, makes the next build rebuild them once)
                   (select concat_ws(',', count(*), max(review_id)) from audit.finding_reviews),
                   (select concat_ws(',', count(*), max(event_id)) from audit.report_approvals),
                   (select string_agg(file_sha256, ',' order by file_sha256)
                    from audit.file_ledger where status = 'pending'))),
               md5(coalesce((select string_agg(concat_ws(',', extract_id, status), ';' order by extract_id)
                             from audit.urs_extract_ledger), ''))"""
    ).fetchone()
    return {"code": project_fingerprint(), "reports": reports, "urs": urs}


def published_state(conn: psycopg.Connection, schema: str = MARTS_SCHEMA) -> dict[str, str] | None:
    """The fingerprints the last publication recorded on the marts schema, if any."""
    (comment,) = conn.execute(
        "select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s", (schema,)
    ).fetchone() or (None,)
    try:
        state = json.loads(comment or "")
    except ValueError:
        return None
    return state.get("built_from") if isinstance(state, dict) else None


def _forget_published_state(groups: tuple[str, ...], schema: str = MARTS_SCHEMA) -> None:
    with psycopg.connect(warehouse_url(), autocommit=True) as conn:
        recorded = published_state(conn, schema)
        if recorded:
            recorded.update(dict.fromkeys(groups, "unknown after a failed build"))
            comment = json.dumps({"built_from": recorded})
            conn.execute(
                sql.SQL("comment on schema {} is {}").format(sql.Identifier(schema), sql.Literal(comment))
            )


def changed_selection(conn: psycopg.Connection, state: dict[str, str]) -> list[str] | None:
    """dbt's ``--select`` for what changed: None = everything, [] = nothing."""
    published = published_state(conn)
    if not published or published.get("code") != state["code"]:
        return None
    selection: list[str] = []
    if published.get("reports") != state["reports"]:
        selection += REPORT_SOURCES
    if published.get("urs") != state["urs"]:
        selection += URS_SOURCES
    return selection  # only what is downstream: the marts not rebuilt are read where published


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


def _move_tables(conn: psycopg.Connection, build_schema: str, schema: str, replace_all: bool) -> list[str]:
    """In ``conn``'s transaction: every relation of ``build_schema`` replaces its namesake in
    ``schema`` (``replace_all``: relations of ``schema`` not rebuilt are dropped too)."""
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    built = _relations(conn, build_schema)
    names = [name for name, _kind in built]
    published = dict(_relations(conn, schema))
    gone = [name for name in published if replace_all or name in names]
    _refuse_dangling_keys(conn, schema, gone)
    views = _dependent_views(conn, schema, gone) if gone else []
    for name in gone:
        conn.execute(
            sql.SQL("drop {} if exists {} cascade").format(
                sql.SQL(published[name]), sql.Identifier(schema, name)
            )
        )
    for name, kind in built:
        conn.execute(
            sql.SQL("alter {} {} set schema {}").format(
                sql.SQL(kind), sql.Identifier(build_schema, name), sql.Identifier(schema)
            )
        )
    conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(build_schema)))
    _recreate_views(conn, views)
    return names


def publish_tables(
    build_schema: str = BUILD_SCHEMA,
    schema: str = MARTS_SCHEMA,
    *,
    state: dict[str, str] | None = None,
    replace_all: bool = False,
    url: str | None = None,
    lock_timeout: float = LOCK_TIMEOUT_SECONDS,
    attempts: int = PUBLISH_ATTEMPTS,
    first_pause: float = FIRST_PAUSE_SECONDS,
) -> list[str]:
    """Move the marts rebuilt in ``build_schema`` into ``schema`` in one transaction; return their names.

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
                moved = _move_tables(conn, build_schema, schema, replace_all)
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


def generate_docs(target_path: Path | None = None) -> Path:
    """``dbt docs generate``: the documentation site (models, columns with labels, lineage)."""
    run_dbt("docs", "generate", target_path=target_path)
    return (target_path or DBT_PROJECT_DIR / "target") / "index.html"
