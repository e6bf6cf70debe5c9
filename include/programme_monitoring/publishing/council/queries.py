"""What the Council report reads from the marts: one query per table, and nothing else.

Each table of the report (and sheet of its annex) is a ``Section``: one query of one mart,
with the reporting year as the parameter ``%(year)s`` and the key columns that identify a
row when two editions are compared. The marts are built by dbt before anything is
published, so every relation named here exists; a missing one is an error, not a
section left out. ``read_marts`` also reads the report versions behind the figures,
the as-of date (the last load among them), how many of those reports are synthetic
(the sample generator's authority names end in "(SYNTHETIC)") and the names of states,
programmes and indicators from the dimension marts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from programme_monitoring.warehouse.connection import connect


@dataclass
class Section:
    """One table of the report: the rows of one mart query, as the annex sheet holds them."""

    key: str  # annex sheet name
    mart: str  # marts.<name>
    sql: str
    key_columns: list[str]
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def source_files(self) -> list[str]:
        if "source_file" not in self.columns:
            return []
        i = self.columns.index("source_file")
        return sorted({r[i] for r in self.rows if r[i]})


MARTS = "marts"
APPROVED_MARTS = "marts_approved"  # the approved-versions build (warehouse.transform, approved_only)


def sections(schema: str = MARTS, approved_only: bool = False, locked: bool = False) -> dict[str, Section]:
    """The report's tables in the annex's order, each one query of a mart in ``schema``; in an
    approved-versions edition also the reports' approval; for a year locked by an earlier
    edition also what changed after that lock (the corrections put in force since)."""
    found = _sections()
    if approved_only:
        found["approvals"] = Section(
            "approvals",
            "rpt_report_approvals",
            "select * from marts.rpt_report_approvals where reporting_year = %(year)s "
            "order by programme_code, state_code",
            ["state_code", "programme_code", "reporting_year"],
        )
    if locked:
        found["after_lock"] = Section(
            "after_lock",
            "rpt_revisions",
            "select * from marts.rpt_revisions where reporting_year = %(year)s "
            "and revised_at > %(locked_at)s and is_in_force "
            "order by programme_code, state_code, indicator_code, disaggregation",
            ["report_id", "indicator_code", "disaggregation"],
        )
    for section in found.values():
        section.sql = section.sql.replace(" marts.", f" {schema}.")
    return found


def _sections() -> dict[str, Section]:
    return {
        s.key: s
        for s in (
            Section(
                "headline",
                "rpt_headline_figures",
                "select * from marts.rpt_headline_figures order by reporting_year",
                ["reporting_year"],
            ),
            Section(
                "implementation",
                "rpt_programme_implementation",
                "select * from marts.rpt_programme_implementation where reporting_year = %(year)s "
                "order by programme_code, state_code",
                ["state_code", "programme_code", "reporting_year"],
            ),
            Section(
                "indicators",
                "fct_indicator_values",
                "select state_code, programme_code, reporting_year, indicator_code, value, is_reported, "
                "comment, report_id, source_file, report_version from marts.fct_indicator_values "
                "where reporting_year = %(year)s and disaggregation = 'total' "
                "order by programme_code, indicator_code, state_code",
                ["state_code", "programme_code", "reporting_year", "indicator_code"],
            ),
            Section(  # publishing.council.unodc shows it
                "unodc",
                "rpt_unodc_reconciliation",
                "select * from marts.rpt_unodc_reconciliation where reporting_year = %(year)s "
                "order by state_code, indicator_code",
                ["state_code", "reporting_year", "indicator_code"],
            ),
            Section(
                "not_reported",
                "fct_indicator_values",
                "select state_code, programme_code, reporting_year, indicator_code, disaggregation, "
                "comment, report_id, source_file, report_version from marts.fct_indicator_values "
                "where reporting_year = %(year)s and not is_reported "
                "order by programme_code, state_code, indicator_code, disaggregation",
                ["state_code", "programme_code", "reporting_year", "indicator_code", "disaggregation"],
            ),
            Section(
                "completeness",
                "rpt_reporting_completeness",
                "select state_code, programme_code, reporting_year, is_expected, is_received, "
                "report_deadline, first_submission_date, reports_on_time, versions_received, report_id, "
                "source_file from marts.rpt_reporting_completeness where reporting_year = %(year)s "
                "order by programme_code, state_code",
                ["state_code", "programme_code", "reporting_year"],
            ),
            Section(
                "coverage",
                "rpt_headline_figures_coverage",
                "select * from marts.rpt_headline_figures_coverage "
                "order by headline_column, reporting_year, programme_code, indicator_code",
                ["reporting_year", "headline_column", "programme_code", "indicator_code"],
            ),
            Section(
                "findings",
                "rpt_validation_findings",
                "select finding_key, state_code, programme_code, reporting_year, indicator_code, severity, "
                "rule_code, left_value, operator, right_value, message_ru, message_en, report_id, "
                "source_file, source_row, review_status "
                "from marts.rpt_validation_findings where reporting_year = %(year)s and in_council_report "
                "order by programme_code, state_code, severity, rule_code, indicator_code, finding_key",
                ["finding_key"],
            ),
            Section(
                "finding_statuses",
                "rpt_finding_status_counts",
                "select reporting_year, review_status, review_status_label_ru, review_status_label_en, "
                "is_open, sum(findings)::integer as findings "
                "from marts.rpt_finding_status_counts where reporting_year = %(year)s "
                "group by reporting_year, review_status, review_status_order, review_status_label_ru, "
                "review_status_label_en, is_open order by review_status_order",
                ["reporting_year", "review_status"],
            ),
        )
    }


REPORT_VERSIONS_SQL = """
select distinct reporting_year, state_code, programme_code, source_file, report_id, report_version
from marts.fct_indicator_values
union
select distinct reporting_year, state_code, programme_code, source_file, report_id, report_version
from marts.fct_measure_implementation
order by reporting_year, programme_code, state_code, report_version
"""

# As of: the last load among the reports the marts were built from.
AS_OF_SQL = """
select max(h.loaded_at) from raw.report_headers h where h.report_id in
    (select report_id from marts.fct_indicator_values
     union select report_id from marts.fct_measure_implementation)
"""

# The sample generator (``dev.samples``) names every authority "... (SYNTHETIC)": the
# warehouse knows a report is synthetic by its authority, as loaded in raw.report_headers.
# How many of the reports behind the figures are synthetic, and how many there are.
SYNTHETIC_MARK = "(SYNTHETIC)"
SYNTHETIC_SQL = """
select count(*) filter (where h.authority like %(mark)s), count(*) from raw.report_headers h
where h.report_id in
    (select report_id from marts.fct_indicator_values
     union select report_id from marts.fct_measure_implementation)
"""

# kind -> (code, Russian name, English name) of the dimension mart.
NAMES_SQL = {
    "state": "select state_code, state_name_ru, state_name_en from marts.dim_member_state",
    "programme": "select programme_code, programme_title_ru, programme_title_en from marts.dim_programme",
    "indicator": "select indicator_code, indicator_name_ru, indicator_name_en from marts.dim_indicator",
}


@dataclass
class MartData:
    """Everything an edition is made of, as read in one connection."""

    sections: dict[str, Section]
    report_versions: list[dict]
    as_of: dt.datetime | None
    names: dict[str, dict[str, dict[str, str]]]  # kind -> code -> lang -> name
    synthetic_reports: int = 0  # reports behind the figures made by the sample generator
    reports: int = 0  # reports behind the figures
    approved_only: bool = False  # the figures are those of the approved versions only
    locks: list[dict] = field(default_factory=list)  # the year's lock history, oldest first
    held: list[dict] = field(default_factory=list)  # reports of the year with versions held by the lock

    @property
    def locked_at(self) -> dt.datetime | None:
        """When the last published edition locked the year, if it is locked now."""
        last = next((e for e in reversed(self.locks) if e["action"] in ("lock", "unlock")), None)
        return last["decided_at"] if last and last["action"] == "lock" else None

    @property
    def last_lock(self) -> dt.datetime | None:
        """When an edition last locked the year (whether or not unlocked since)."""
        return next((e["decided_at"] for e in reversed(self.locks) if e["action"] == "lock"), None)

    @property
    def synthetic(self) -> bool:
        """Whether any figure comes from a synthetic sample report."""
        return self.synthetic_reports > 0

    def name(self, kind: str, code: str, lang: str) -> str:
        """The name of a state, programme or indicator in ``lang``; its code if it has none."""
        return self.names[kind].get(code, {}).get(lang, code)


HELD_SQL = """
select state_code, programme_code, held_versions from marts.rpt_report_approvals
where reporting_year = %(year)s and held_versions > 0 order by programme_code, state_code
"""


def read_marts(year: int, approved_only: bool = False) -> MartData:
    """Every table for ``year``, the report versions behind them, the as-of date and the names;
    ``approved_only``: from the approved-versions build (``marts_approved``)."""
    from programme_monitoring.warehouse.approvals import year_locks

    schema = APPROVED_MARTS if approved_only else MARTS

    def of(sql: str) -> str:
        return sql.replace(" marts.", f" {schema}.").replace("\nmarts.", f"\n{schema}.")

    with connect() as conn:
        locks = year_locks(conn, year)
        last_lock = next((e["decided_at"] for e in reversed(locks) if e["action"] == "lock"), None)
        tables = sections(schema, approved_only, locked=last_lock is not None)
        for section in tables.values():
            cursor = conn.execute(section.sql, {"year": year, "locked_at": last_lock})
            section.columns = [c.name for c in cursor.description]
            section.rows = [tuple(r) for r in cursor.fetchall()]
        cursor = conn.execute(of(REPORT_VERSIONS_SQL))
        columns = [c.name for c in cursor.description]
        versions = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
        (as_of,) = conn.execute(of(AS_OF_SQL)).fetchone()
        synthetic, reports = conn.execute(of(SYNTHETIC_SQL), {"mark": f"%{SYNTHETIC_MARK}"}).fetchone()
        names = {
            kind: {code: {"ru": ru, "en": en} for code, ru, en in conn.execute(of(sql))}
            for kind, sql in NAMES_SQL.items()
        }
        cursor = conn.execute(of(HELD_SQL), {"year": year})
        held = [dict(zip([c.name for c in cursor.description], r, strict=True)) for r in cursor.fetchall()]
    return MartData(tables, versions, as_of, names, synthetic, reports, approved_only, locks, held)
