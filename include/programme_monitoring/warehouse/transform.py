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
3. only when all of that passed, one transaction moves the rebuilt marts into ``marts``
   (``publish``: renames, and after new reports the fact table's new reports added in
   place) and records the new fingerprint.

A failing model or test leaves ``marts`` exactly as it was, readable throughout.

One build at a time (``one_build_at_a_time``): a build started while another runs (an operator's
``transform`` while the DAG builds, or a history build) waits for it to end, then builds what
is still new. Two at once would drop each other's half-built ``marts_build`` and write the
same incremental tables.

History builds (``as_of``) are built whole into their own schemas, swapped in as a schema.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from programme_monitoring.settings import DBT_PROJECT_DIR
from programme_monitoring.warehouse.connection import warehouse_url
from programme_monitoring.warehouse.dbt_process import DbtError, run_dbt
from programme_monitoring.warehouse.publish import BUILD_SCHEMA, MARTS_SCHEMA, publish_marts, publish_tables

log = logging.getLogger(__name__)

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
CODE_FOLDERS = ("models", "macros", "seeds", "tests")
PUBLISH_BY_REPORT_VARIABLE = "PM_PUBLISH_BY_REPORT"
NOTHING_CHANGED = "nothing changed since the last publication: nothing built"
# One lock for every build: the live one and the history builds share the seeds and the
# incremental tables.
BUILD_LOCK_KEY = "programme_monitoring.build_warehouse"


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
    with one_build_at_a_time():
        return _build(as_of, target_path, full_refresh, approved_only)


@contextmanager
def one_build_at_a_time() -> Iterator[None]:
    """Hold the warehouse's build lock while the block runs; wait for it if another build holds it.

    A session advisory lock on a connection of its own: it ends with the build, or with the
    process if that is killed (its dbt child is then stopped too: ``dbt_process``).
    """
    with psycopg.connect(warehouse_url(), autocommit=True) as conn:
        taken = "select pg_try_advisory_lock(hashtextextended(%s, 0))"
        if not conn.execute(taken, (BUILD_LOCK_KEY,)).fetchone()[0]:
            # A warning, so that an operator's `transform` says why it does not go on.
            log.warning(
                "another build of the warehouse is running: waiting for it to end / "
                "идёт другая сборка хранилища: ожидание её завершения"
            )
            conn.execute("select pg_advisory_lock(hashtextextended(%s, 0))", (BUILD_LOCK_KEY,))
            log.warning(
                "the other build ended: building what is still new / "
                "другая сборка завершена: собирается то, что ещё не собрано"
            )
        yield


def _build(as_of: str | None, target_path: Path | None, full_refresh: bool, approved_only: bool) -> str:
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
    # After new data only, the marts published by report get only the new reports' rows
    # (macros/publish_by_report.sql; an environment variable, as other --vars would make
    # dbt parse the whole project again).
    by_report = bool(selection)
    try:
        output = run_dbt(
            *args, target_path=target_path, env={PUBLISH_BY_REPORT_VARIABLE: "1"} if by_report else None
        )
    except DbtError:
        if state is not None:
            # The incremental intermediate tables may already hold the new rows: the next
            # build must not take the marts for up to date with the ledgers.
            _forget_published_state(("reports", "urs") if selection else ("code",))
        raise
    if aside:
        publish_marts(build_schema, build_schema.removesuffix("_build"), as_of=as_of)
    else:
        publish_tables(
            build_schema, MARTS_SCHEMA, state=state, replace_all=selection is None, by_report=by_report
        )
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


def generate_docs(target_path: Path | None = None) -> Path:
    """``dbt docs generate``: the documentation site (models, columns with labels, lineage)."""
    run_dbt("docs", "generate", target_path=target_path)
    return (target_path or DBT_PROJECT_DIR / "target") / "index.html"
