"""Who may read and write what: group roles, grants and row-level security.

Group roles (NOLOGIN; people and services log in with their own LOGIN role made a member
of one of them, see README "Access and roles"):

==================  ==========================================================================
``pm_loader``       writes ``raw`` and ``audit`` (the intake); reads nothing else
``pm_transformer``  reads ``raw`` and ``audit``, builds ``reference``/``staging``/``intermediate``/``marts``
                    (the one role with TEMP: dbt's incremental models need it)
``pm_analyst``      reads ``marts`` and the approved ``intermediate`` relations (all rows)
``pm_bi_reader``    reads ``marts`` only (all rows)
``pm_auditor``      reads ``audit`` (file ledgers, import summaries, validation findings, the
                    whole review history of findings, approvals and period locks)
``pm_reviewer``     reads ``marts`` (all rows) and the findings of ``audit`` (register, review
                    history, the intake's findings); writes review decisions through
                    ``audit.review_finding()`` only (EXECUTE; no INSERT anywhere)
``pm_approver``     approves report versions, unlocks locked years (inserts into
                    ``audit.report_approvals`` / ``audit.period_locks``, reads those two; the
                    versions of a report through ``audit.report_versions()``); nothing else
``pm_state_<iso2>`` one per member state: reads ``marts``, and in every mart table with a
                    ``state_code`` column only the rows of its own state (row-level security)
==================  ==========================================================================

The checked-in matrix ``docs/privileges.csv`` says the same;
tests/integration/warehouse/test_access.py compares
it with what PostgreSQL actually grants. Everything here is idempotent: ``apply_access()``
(``python -m programme_monitoring access apply``) creates missing roles and re-applies
every grant and policy; ``apply_access_policies(conn)`` does the same inside the caller's
transaction (the transform calls it when it swaps in freshly built marts, whose tables
carry no grants or policies yet).

Large objects: nobody but a superuser may create them (``LARGE_OBJECT_CREATORS``, revoked
from PUBLIC): a reading role could otherwise fill the database's disk with them, and
nothing in the warehouse uses them.

The intake's locks are rows of ``audit.intake_locks``: locking a row needs UPDATE, which
only ``pm_loader`` has in ``audit``, so no reading role can take them and stall a load.

Row-level security: every mart table with ``state_code`` gets ENABLE + FORCE ROW LEVEL
SECURITY and two SELECT policies: ``pm_all_rows`` (analyst, BI reader, transformer:
every row) and ``pm_own_state`` (the state roles: rows whose ``state_code`` is a state
whose ``pm_state_`` role the current user is a member of). Views in ``staging``,
``intermediate`` and ``marts`` run with ``security_invoker = true`` so the policies and
grants of the caller apply through them. The approved intermediate views and the views
below them keep their owner's rights (``owner_rights_views``: PostgreSQL checks a nested
security-invoker view as the querying user, so the analyst would need ``raw``); none of
them reads a mart, so no row-level policy is bypassed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from psycopg import sql

from programme_monitoring.reference import load_reference
from programme_monitoring.warehouse.connection import warehouse_url
from programme_monitoring.warehouse.schema import init as init_schema

log = logging.getLogger(__name__)

PREFIX = "pm_"
LOADER = PREFIX + "loader"
TRANSFORMER = PREFIX + "transformer"
ANALYST = PREFIX + "analyst"
BI_READER = PREFIX + "bi_reader"
AUDITOR = PREFIX + "auditor"
REVIEWER = PREFIX + "reviewer"
APPROVER = PREFIX + "approver"
STATE_PREFIX = PREFIX + "state_"
GROUP_ROLES = (LOADER, TRANSFORMER, ANALYST, BI_READER, AUDITOR, REVIEWER, APPROVER)

RAW, AUDIT, REFERENCE, STAGING, INTERMEDIATE, MARTS = (
    "raw",
    "audit",
    "reference",
    "staging",
    "intermediate",
    "marts",
)
MARTS_BUILD = "marts_build"  # where the transform builds the next marts before swapping them in
# A history build (figures as of a past date) is for analysts: BI and state roles neither read
# nor see it (information_schema lists only the schemas a role may use).
MARTS_AS_OF = "marts_as_of"
# The approved-versions-only build (Council report mode): for analysts, as a history build.
MARTS_APPROVED = "marts_approved"
# What an approver writes (INSERT, SELECT; the tables' triggers stamp who and when and refuse
# anything but an approver's approval or unlock) and the functions the triggers call.
APPROVAL_TABLES = ("report_approvals", "period_locks")
APPROVER_FUNCTIONS = (
    "audit.report_versions(text, text, integer)",
    "audit.check_approval(text, text, text, integer, text)",
    "audit.check_period_event(text, integer, text, text)",
    "audit.year_is_locked(integer)",
)
LAYERS = (RAW, AUDIT, REFERENCE, STAGING, INTERMEDIATE, MARTS)
BUILT_LAYERS = (REFERENCE, STAGING, INTERMEDIATE, MARTS)

# Intermediate views the analyst may read (owner's rights; no state-restricted rows).
# Intermediate relations the analyst may read (views, or tables where dbt builds them
# incrementally, as int_indicator_values_accepted).
# Database privileges beyond CONNECT, which every role has; PUBLIC has no TEMP.
DATABASE_EXTRA = ((TRANSFORMER, "TEMP"),)  # dbt's incremental models stage new rows in a temp table
APPROVED_INTERMEDIATE = ("int_indicator_values_accepted", "int_reports_latest_version")
# What the reviewer reads of ``audit``, and the one function through which decisions are written.
REVIEWER_AUDIT_TABLES = ("findings", "finding_reviews", "validation_findings")
REVIEW_FUNCTION = "audit.review_finding(text, text, text, text, text, text)"
# EXECUTE on the audit functions (revoked from PUBLIC by their migrations): the reviewer and
# the loader (senders' explanations) write review decisions; the approver calls what the
# approval tables' triggers use (owner's rights); the intake asks whether a year is locked.
FUNCTION_EXECUTE = (
    (REVIEWER, REVIEW_FUNCTION),
    (LOADER, REVIEW_FUNCTION),
    *((APPROVER, function) for function in APPROVER_FUNCTIONS),
    (LOADER, "audit.year_is_locked(integer)"),
)

STATE_COLUMN = "state_code"
ALL_ROWS_POLICY = "pm_all_rows"
OWN_STATE_POLICY = "pm_own_state"
# The functions that create a large object (lo_import on the server is superuser-only already).
LARGE_OBJECT_CREATORS = (
    "lo_create(oid)",
    "lo_creat(integer)",
    "lo_from_bytea(oid, bytea)",
    "lo_import(text)",
    "lo_import(text, oid)",
)
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def _revoke_large_object_creation(conn: psycopg.Connection) -> None:
    """No reading role may create large objects. The functions belong to the bootstrap
    superuser: a deployment whose warehouse user is no superuser revokes them once in its
    database init (docker/postgres-init); here they are revoked where still granted and the
    user may, and otherwise named in a warning rather than failing every publish."""
    for function in LARGE_OBJECT_CREATORS:
        name = f"pg_catalog.{function}"
        if not conn.execute("select has_function_privilege('public', %s, 'execute')", (name,)).fetchone()[0]:
            continue
        try:
            with conn.transaction():  # a savepoint: a refusal leaves the publish going
                conn.execute(f"revoke execute on function {name} from public")
        except psycopg.errors.InsufficientPrivilege:
            log.warning(
                "PUBLIC may still create large objects: as a superuser, run "
                "REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC in the warehouse database",
                name,
            )


def state_codes() -> list[str]:
    """ISO2 codes of the reporting states (the reference seed): one role each."""
    return sorted(load_reference().state_codes)


def state_role(state_code: str) -> str:
    return STATE_PREFIX + state_code.strip().lower()


def all_roles() -> list[str]:
    return [*GROUP_ROLES, *(state_role(c) for c in state_codes())]


@dataclass(frozen=True)
class Grant:
    role: str
    schema: str
    privilege: str  # USAGE / CREATE on the schema, or a table privilege on its tables
    table: str = "*"  # "*": every table and view of the schema


def intended_grants() -> list[Grant]:
    """The privilege matrix as code (docs/privileges.csv is its checked-in, reviewed copy)."""
    grants: list[Grant] = []
    for schema in (RAW, AUDIT):
        grants.append(Grant(LOADER, schema, "USAGE"))
        grants += [Grant(LOADER, schema, p) for p in ("SELECT", "INSERT", "UPDATE", "DELETE")]
        grants += [Grant(TRANSFORMER, schema, "USAGE"), Grant(TRANSFORMER, schema, "SELECT")]
    for schema in (*BUILT_LAYERS, MARTS_BUILD):
        grants += [
            Grant(TRANSFORMER, schema, "USAGE"),
            Grant(TRANSFORMER, schema, "CREATE"),
            Grant(TRANSFORMER, schema, "SELECT"),
        ]
    grants += [Grant(AUDITOR, AUDIT, "USAGE"), Grant(AUDITOR, AUDIT, "SELECT")]
    grants.append(Grant(APPROVER, AUDIT, "USAGE"))
    grants += [Grant(APPROVER, AUDIT, p, t) for t in APPROVAL_TABLES for p in ("SELECT", "INSERT")]
    for role in (ANALYST, BI_READER, REVIEWER, *(state_role(c) for c in state_codes())):
        grants += [Grant(role, MARTS, "USAGE"), Grant(role, MARTS, "SELECT")]
    grants.append(Grant(REVIEWER, AUDIT, "USAGE"))
    grants += [Grant(REVIEWER, AUDIT, "SELECT", table) for table in REVIEWER_AUDIT_TABLES]
    grants += [Grant(TRANSFORMER, MARTS_AS_OF, p) for p in ("USAGE", "CREATE", "SELECT")]
    grants += [Grant(ANALYST, MARTS_AS_OF, "USAGE"), Grant(ANALYST, MARTS_AS_OF, "SELECT")]
    grants += [Grant(TRANSFORMER, MARTS_APPROVED, p) for p in ("USAGE", "CREATE", "SELECT")]
    grants += [Grant(ANALYST, MARTS_APPROVED, "USAGE"), Grant(ANALYST, MARTS_APPROVED, "SELECT")]
    grants.append(Grant(ANALYST, INTERMEDIATE, "USAGE"))
    grants += [Grant(ANALYST, INTERMEDIATE, "SELECT", view) for view in APPROVED_INTERMEDIATE]
    return grants


# -- applying -----------------------------------------------------------------------------


def apply_access(url: str | None = None) -> dict:
    """Create the roles and apply every grant and policy, in one transaction; return a summary."""
    init_schema(url)
    with psycopg.connect(url or warehouse_url()) as conn:
        summary = apply_access_policies(conn)
    log.info("access applied: %s", summary)
    return summary


def apply_access_policies(
    conn: psycopg.Connection, marts_schema: str = MARTS, rls_tables: list[str] | None = None
) -> dict:
    """Roles, grants, RLS and view options for the objects as they are now, in ``conn``'s transaction.

    Call it after anything that creates or replaces warehouse objects (dbt build, the marts
    swap); it does not commit. ``marts_schema`` is the schema just published: ``marts``, or
    a history schema such as ``marts_as_of``, which then gets the marts' grants and policies.
    ``rls_tables`` limits the row-level security re-applied in ``marts_schema`` to those tables
    (the ones just published; the others keep theirs): enabling it and re-creating the policies
    lock a table exclusively, which a reader of a mart that was not replaced should not wait for.
    """
    conn.execute("select pg_advisory_xact_lock(hashtextextended('programme_monitoring.access', 0))")
    created = _ensure_roles(conn)
    database = conn.execute("select current_database()").fetchone()[0]
    roles = all_roles()
    role_list = sql.SQL(", ").join(map(sql.Identifier, roles))

    # Nobody gets anything by default.
    conn.execute("revoke create on schema public from public")
    _revoke_large_object_creation(conn)
    conn.execute(sql.SQL("revoke temp on database {} from public").format(sql.Identifier(database)))
    conn.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), role_list))
    for role, privilege in DATABASE_EXTRA:
        conn.execute(
            sql.SQL("grant {} on database {} to {}").format(
                sql.SQL(privilege), sql.Identifier(database), sql.Identifier(role)
            )
        )
    for schema in LAYERS:
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))

    schemas = {schema: schema for schema in LAYERS}
    existing = {r[0] for r in conn.execute("select nspname from pg_namespace")}
    if MARTS_BUILD in existing and marts_schema != MARTS_BUILD:
        schemas[MARTS_BUILD] = MARTS_BUILD
    # Another published marts schema (an as-of history build, ``marts_as_of``) gets the
    # grants of MARTS_AS_OF (analysts only) and the marts' row-level security.
    extra_marts = [marts_schema] if marts_schema not in (MARTS, MARTS_BUILD) else []
    for other in (MARTS_AS_OF, MARTS_APPROVED):  # re-applied: analysts only
        if other in existing and other not in extra_marts:
            extra_marts.append(other)

    # Start from nothing on every layer, then grant the matrix (one transaction: no gap is visible).
    for actual in schemas.values():
        ident = sql.Identifier(actual)
        conn.execute(sql.SQL("revoke all on schema {} from public, {}").format(ident, role_list))
        conn.execute(
            sql.SQL("revoke all on all tables in schema {} from public, {}").format(ident, role_list)
        )
    for grant in intended_grants():
        if grant.schema not in schemas:
            continue
        schema = sql.Identifier(schemas[grant.schema])
        role = sql.Identifier(grant.role)
        if grant.privilege in ("USAGE", "CREATE"):
            conn.execute(
                sql.SQL("grant {} on schema {} to {}").format(sql.SQL(grant.privilege), schema, role)
            )
        elif grant.table == "*":
            conn.execute(
                sql.SQL("grant {} on all tables in schema {} to {}").format(
                    sql.SQL(grant.privilege), schema, role
                )
            )
        elif _relation_exists(conn, schemas[grant.schema], grant.table):
            conn.execute(
                sql.SQL("grant {} on {}.{} to {}").format(
                    sql.SQL(grant.privilege), schema, sql.Identifier(grant.table), role
                )
            )
    for actual in extra_marts:
        ident = sql.Identifier(actual)
        conn.execute(sql.SQL("revoke all on schema {} from public, {}").format(ident, role_list))
        conn.execute(
            sql.SQL("revoke all on all tables in schema {} from public, {}").format(ident, role_list)
        )
        for grant in intended_grants():
            if grant.schema == MARTS_AS_OF and grant.table == "*":
                on = "schema {}" if grant.privilege in ("USAGE", "CREATE") else "all tables in schema {}"
                conn.execute(
                    sql.SQL("grant {} on " + on + " to {}").format(
                        sql.SQL(grant.privilege), ident, sql.Identifier(grant.role)
                    )
                )
    _function_grants(conn)
    _default_privileges(conn)
    protected = _row_level_security(conn, schemas[MARTS], rls_tables if marts_schema == MARTS else None)
    for actual in extra_marts + ([MARTS_BUILD] if MARTS_BUILD in schemas else []):
        protected += _row_level_security(conn, actual)
    invoker_views = _security_invoker_views(
        conn, [schemas[s] for s in (STAGING, INTERMEDIATE, MARTS)] + extra_marts
    )
    return {"roles_created": created, "rls_tables": protected, "security_invoker_views": invoker_views}


def _function_grants(conn: psycopg.Connection) -> None:
    """EXECUTE on the audit functions of ``FUNCTION_EXECUTE`` that exist, to their grantees only."""
    for role, function in FUNCTION_EXECUTE:
        name, _args = function.split("(", 1)
        if conn.execute("select to_regproc(%s) is not null", (name,)).fetchone()[0]:
            conn.execute(
                sql.SQL("grant execute on function {} to {}").format(sql.SQL(function), sql.Identifier(role))
            )


def _ensure_roles(conn: psycopg.Connection) -> list[str]:
    existing = {r[0] for r in conn.execute("select rolname from pg_roles where rolname like 'pm\\_%'")}
    created = []
    for role in all_roles():
        if role not in existing:
            conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
            created.append(role)
    return created


def _relation_exists(conn: psycopg.Connection, schema: str, name: str) -> bool:
    return conn.execute(
        "select to_regclass(format('%%I.%%I', %s::text, %s::text)) is not null", (schema, name)
    ).fetchone()[0]


def _default_privileges(conn: psycopg.Connection) -> None:
    """Tables the current role creates later get the non-state grants at once (states wait for RLS)."""
    statements = [
        (RAW, "select, insert, update, delete", LOADER),
        (AUDIT, "select, insert, update, delete", LOADER),
        (RAW, "select", TRANSFORMER),
        (AUDIT, "select", TRANSFORMER),
        (AUDIT, "select", AUDITOR),
        (MARTS, "select", ANALYST),
        (MARTS, "select", BI_READER),
        (MARTS, "select", REVIEWER),
    ]
    for schema, privileges, role in statements:
        conn.execute(
            sql.SQL("alter default privileges in schema {} grant {} on tables to {}").format(
                sql.Identifier(schema), sql.SQL(privileges), sql.Identifier(role)
            )
        )


def _row_level_security(conn: psycopg.Connection, schema: str, only: list[str] | None = None) -> list[str]:
    # ``only``: those tables, and any other that lacks its row-level security.
    tables = [
        r[0]
        for r in conn.execute(
            """select c.relname, c.relrowsecurity and c.relforcerowsecurity from pg_class c
               join pg_namespace n on n.oid = c.relnamespace
               join pg_attribute a on a.attrelid = c.oid and a.attname = %s and not a.attisdropped
               where n.nspname = %s and c.relkind in ('r', 'p')
               order by c.relname""",
            (STATE_COLUMN, schema),
        )
        if only is None or r[0] in only or not r[1]
    ]
    states = sql.SQL(", ").join(sql.Identifier(state_role(c)) for c in state_codes())
    # The states whose role the current user holds (no error for a state without a role).
    own_states = sql.SQL(
        "{column} in (select upper(substr(r.rolname, {start})) from pg_catalog.pg_roles r "
        "where r.rolname like {pattern} and pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))"
    ).format(
        column=sql.Identifier(STATE_COLUMN),
        start=sql.Literal(len(STATE_PREFIX) + 1),
        pattern=sql.Literal(STATE_PREFIX.replace("_", "\\_") + "%"),
    )
    for name in tables:
        table = sql.Identifier(schema, name)
        conn.execute(sql.SQL("alter table {} enable row level security").format(table))
        conn.execute(sql.SQL("alter table {} force row level security").format(table))
        for policy in (ALL_ROWS_POLICY, OWN_STATE_POLICY):
            conn.execute(sql.SQL("drop policy if exists {} on {}").format(sql.Identifier(policy), table))
        conn.execute(
            sql.SQL("create policy {} on {} for select to {} using (true)").format(
                sql.Identifier(ALL_ROWS_POLICY),
                table,
                sql.SQL(", ").join(map(sql.Identifier, (ANALYST, BI_READER, REVIEWER, TRANSFORMER))),
            )
        )
        conn.execute(
            sql.SQL("create policy {} on {} for select to {} using ({})").format(
                sql.Identifier(OWN_STATE_POLICY), table, states, own_states
            )
        )
    return [f"{schema}.{t}" for t in tables]


def owner_rights_views(conn: psycopg.Connection) -> set[tuple[str, str]]:
    """The approved intermediate views and every view they read, directly or not (they keep
    owner's rights); an approved relation that is a table reads nothing at query time.

    PostgreSQL checks a security-invoker view as the querying user even when it is reached
    through an owner's-rights view, so the whole chain below an approved view must keep
    its owner's rights for the analyst to read it without grants on ``staging`` or ``raw``.
    """
    rows = conn.execute(
        """with recursive chain(oid) as (
               select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = %s and c.relname = any(%s) and c.relkind = 'v'
               union
               select d.refobjid from chain
               join pg_rewrite r on r.ev_class = chain.oid
               join pg_depend d on d.objid = r.oid and d.classid = 'pg_rewrite'::regclass
                    and d.refclassid = 'pg_class'::regclass and d.refobjid <> chain.oid
           )
           select n.nspname, c.relname from chain join pg_class c on c.oid = chain.oid
           join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'v'""",
        (INTERMEDIATE, list(APPROVED_INTERMEDIATE)),
    ).fetchall()
    return {(schema, name) for schema, name in rows}


def _security_invoker_views(conn: psycopg.Connection, schemas: list[str]) -> list[str]:
    views = conn.execute(
        """select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind = 'v' and n.nspname = any(%s) order by 1, 2""",
        (schemas,),
    ).fetchall()
    keep = owner_rights_views(conn)
    done = []
    for schema, name in views:
        owner_rights = (schema, name) in keep
        conn.execute(
            sql.SQL("alter view {} set (security_invoker = {})").format(
                sql.Identifier(schema, name), sql.SQL("false" if owner_rights else "true")
            )
        )
        if not owner_rights:
            done.append(f"{schema}.{name}")
    return done
