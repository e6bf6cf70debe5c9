"""Great Expectations checks that guard every load.

Blocking suites refuse a file; each expectation carries in its ``meta`` the reason a
sender reads (English and Russian). The suites are committed JSON files under
``expectations/``; ``write_suites()`` is how they are (re)written from the definitions
below, and the intake only reads them. Sets that depend on reference data (which
states take part in a programme in a year, which indicators the programme may carry)
are suite parameters, filled in from the seeds at validation time.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from .records import ParsedReport
from .reference import MEASURE_STATUSES, Reference, load_reference
from .settings import EXPECTATIONS_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # never phone home from a closed network
logging.getLogger("great_expectations").setLevel(logging.WARNING)

DATASOURCE = "reports"
# Suite name -> the table of a parsed report it validates.
BLOCKING_SUITES = {
    "report_header.blocking": "header",
    "indicator_values.blocking": "indicator_values",
    "measure_status.blocking": "measures",
}


@dataclass(frozen=True)
class Finding:
    suite: str
    severity: str  # "error" refuses the file; "warning" loads it and goes on the review list
    table: str
    column: str
    reason_en: str
    reason_ru: str
    source_sheet: str = ""
    source_row: int | None = None
    value: Any = None

    def describe(self) -> str:
        where = []
        if self.source_sheet:
            where.append(f"sheet {self.source_sheet!r}")
        if self.source_row is not None:
            where.append(f"row {self.source_row}")
        if self.column:
            where.append(f"column {self.column!r}")
        found = f" (found {self.value!r})" if self.value is not None else ""
        return f"{', '.join(where) or self.table}: {self.reason_en}{found} / {self.reason_ru}"


def _gx():
    import great_expectations as gx  # heavy import (seconds): only when validating

    return gx


@cache
def context():
    return _gx().get_context(mode="file", context_root_dir=str(EXPECTATIONS_DIR))


def _param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def _meta(en: str, ru: str) -> dict[str, str]:
    return {"reason_en": en, "reason_ru": ru}


def suite_definitions() -> dict[str, list]:
    """The blocking rules, one expectation each, with the reason shown to the sender."""
    e = _gx().expectations
    return {
        "report_header.blocking": [
            e.ExpectColumnValuesToBeInSet(
                column="state_code",
                value_set=_param("known_states"),
                meta=_meta(
                    "unknown state code: use the ISO 3166 alpha-2 code of a CIS state (e.g. KZ)",
                    "неизвестный код государства: укажите код ISO 3166 alpha-2 (например, KZ)",
                ),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="programme_code",
                value_set=_param("known_programmes"),
                meta=_meta(
                    "unknown programme code: use THB, IM or CR",
                    "неизвестный код программы: укажите THB, IM или CR",
                ),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="state_code",
                value_set=_param("participating_states"),
                meta=_meta(
                    "this state does not take part in this programme in the reporting year",
                    "государство не участвует в программе в отчётном году",
                ),
            ),
            e.ExpectColumnValuesToBeBetween(
                column="reporting_year",
                min_value=_param("first_year"),
                max_value=_param("last_year"),
                meta=_meta(
                    "reporting year is outside the programme period or in the future",
                    "отчётный год вне срока программы или в будущем",
                ),
            ),
            e.ExpectColumnValuesToBeBetween(
                column="version",
                min_value=1,
                meta=_meta(
                    "report version must be a whole number from 1",
                    "версия отчёта должна быть целым числом от 1",
                ),
            ),
            e.ExpectColumnValuesToNotBeNull(
                column="authority",
                meta=_meta("reporting authority is missing", "не указан представивший отчёт орган"),
            ),
        ],
        "indicator_values.blocking": [
            e.ExpectTableRowCountToBeBetween(
                min_value=1,
                meta=_meta("the report has no indicator values", "в отчёте нет значений показателей"),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="indicator_code",
                value_set=_param("reportable_indicators"),
                meta=_meta(
                    "indicator code does not exist or is not reported under this programme in this year",
                    "код показателя не существует или не предусмотрен программой в этом году",
                ),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="indicator_dimension",
                value_set=_param("allowed_dimensions"),
                meta=_meta(
                    "this disaggregation is not allowed for the indicator",
                    "такая разбивка не предусмотрена для показателя",
                ),
            ),
            e.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=0,
                meta=_meta(
                    "value must be a whole number >= 0 (leave empty if not reported)",
                    "значение должно быть целым числом >= 0 (пусто, если не представлено)",
                ),
            ),
            e.ExpectCompoundColumnsToBeUnique(
                column_list=["source_file", "indicator_code", "disaggregation"],
                meta=_meta(
                    "the same indicator and disaggregation appear more than once",
                    "один и тот же показатель и разбивка указаны несколько раз",
                ),
            ),
        ],
        "measure_status.blocking": [
            e.ExpectColumnValuesToBeInSet(
                column="measure_code",
                value_set=_param("programme_measures"),
                meta=_meta(
                    "measure code is not in the programme's measure registry",
                    "кода мероприятия нет в перечне мероприятий программы",
                ),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="status",
                value_set=list(MEASURE_STATUSES),
                meta=_meta(
                    "status must be implemented, in_progress, not_implemented or postponed",
                    "статус: выполнено, выполняется, не выполнено или перенесено",
                ),
            ),
            e.ExpectCompoundColumnsToBeUnique(
                column_list=["source_file", "measure_code"],
                meta=_meta("the same measure appears more than once", "мероприятие указано несколько раз"),
            ),
        ],
    }


def write_suites() -> None:
    """(Re)write the committed suites, datasource and validation definitions under expectations/."""
    gx = _gx()
    ctx = context()
    source = ctx.data_sources.add_or_update_pandas(DATASOURCE)
    for suite_name, expectations in suite_definitions().items():
        table = BLOCKING_SUITES[suite_name]
        suite = gx.ExpectationSuite(
            name=suite_name, expectations=expectations, meta={"severity": "error", "table": table}
        )
        suite = ctx.suites.add_or_update(suite)
        asset = next((a for a in source.assets if a.name == table), None) or source.add_dataframe_asset(table)
        batch = next((b for b in asset.batch_definitions if b.name == "whole"), None)
        batch = batch or asset.add_batch_definition_whole_dataframe("whole")
        ctx.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
        )


def _frames(reports: list[ParsedReport], reportable: set[str]) -> dict[str, pd.DataFrame]:
    """One frame per table for a group of reports, each row tagged with its source file."""
    headers = pd.DataFrame(
        [
            {
                "source_file": str(r.source_file),
                "source_sheet": "",
                "source_row": None,
                "state_code": r.header.state_code,
                "programme_code": r.header.programme_code,
                "reporting_year": r.header.reporting_year,
                "version": r.header.version,
                "authority": r.header.authority or None,
            }
            for r in reports
        ]
    )
    values = pd.concat(
        [r.indicator_values.assign(source_file=str(r.source_file)) for r in reports], ignore_index=True
    )
    # The disaggregation check only makes sense for indicators the programme carries;
    # an unknown code is reported once, by the code check.
    dimension = values["disaggregation"].str.split("=", n=1).str[0]
    values["indicator_dimension"] = (values["indicator_code"] + ":" + dimension).where(
        values["indicator_code"].isin(reportable)
    )
    measures = pd.concat(
        [r.measures.assign(source_file=str(r.source_file)) for r in reports], ignore_index=True
    )
    return {"header": headers, "indicator_values": values, "measures": measures}


def _parameters(programme: str, year: int, reference: Reference, current_year: int) -> dict[str, Any]:
    known = programme in reference.programme_codes
    first, last = reference.programme_period(programme) if known else (0, -1)
    reportable = reference.reportable_indicators(programme, year) if known else set()
    allowed = {f"{code}:total" for code in reportable} | {
        f"{code}:{dim}" for code in reportable for dim in reference.allowed_dimensions(code)
    }
    return {
        "known_states": sorted(reference.state_codes),
        "known_programmes": sorted(reference.programme_codes),
        "participating_states": reference.participants(programme, year) if known else [],
        "first_year": first,
        "last_year": min(last, current_year),
        "reportable_indicators": sorted(reportable),
        "allowed_dimensions": sorted(allowed),
        "programme_measures": sorted(reference.measure_codes(programme)),
    }


def validate_reports(reports: list[ParsedReport], current_year: int) -> dict[str, list[Finding]]:
    """Run every blocking suite; return the findings per source file (an empty list = accepted).

    A suite run costs GX a fixed ~0.2 s whatever the row count, so reports that share
    a programme and year (hence the same suite parameters) are validated in one batch
    per table: all files x 3 suites would cost minutes, groups cost seconds.
    """
    ctx = context()
    reference = load_reference()
    findings: dict[str, list[Finding]] = {str(r.source_file): [] for r in reports}
    groups: dict[tuple[str, int], list[ParsedReport]] = {}
    for report in reports:
        groups.setdefault((report.header.programme_code, report.header.reporting_year), []).append(report)
    for (programme, year), group in groups.items():
        parameters = _parameters(programme, year, reference, current_year)
        frames = _frames(group, set(parameters["reportable_indicators"]))
        for suite_name, table in BLOCKING_SUITES.items():
            frame = frames[table]
            if frame.empty and table != "indicator_values":
                continue
            definition = ctx.validation_definitions.get(suite_name)
            if table == "indicator_values":
                # An empty report still has to fail the row-count rule: validate it alone.
                for report in group:
                    if report.indicator_values.empty:
                        _run(
                            definition,
                            suite_name,
                            table,
                            frames[table].iloc[0:0],
                            parameters,
                            findings,
                            str(report.source_file),
                        )
                frame = frame[
                    frame["source_file"].isin(
                        [str(r.source_file) for r in group if not r.indicator_values.empty]
                    )
                ]
                if frame.empty:
                    continue
            _run(definition, suite_name, table, frame.reset_index(drop=True), parameters, findings)
    return findings


def validate_report(report: ParsedReport, current_year: int) -> list[Finding]:
    return validate_reports([report], current_year)[str(report.source_file)]


def _run(
    definition,
    suite_name: str,
    table: str,
    frame: pd.DataFrame,
    parameters: dict,
    findings: dict[str, list[Finding]],
    whole_file: str | None = None,
) -> None:
    result = definition.run(
        batch_parameters={"dataframe": frame}, expectation_parameters=parameters, result_format="COMPLETE"
    )
    for outcome in result.results:
        if outcome.success:
            continue
        for source_file, finding in _findings(suite_name, table, outcome, frame):
            findings[source_file or whole_file].append(finding)


def _findings(suite_name: str, table: str, outcome, frame: pd.DataFrame) -> list[tuple[str | None, Finding]]:
    config = outcome.expectation_config
    meta = config.meta or {}
    columns = [c for c in config.kwargs.get("column_list") or [] if c != "source_file"]
    column = config.kwargs.get("column") or ",".join(columns)
    base = dict(
        suite=suite_name,
        severity="error",
        table=table,
        column=column,
        reason_en=meta.get("reason_en", config.type),
        reason_ru=meta.get("reason_ru", config.type),
    )
    indexes = outcome.result.get("unexpected_index_list") or []
    if not indexes:
        return [(None, Finding(**base))]
    found = []
    for index in indexes:
        row = frame.iloc[index]
        source_row = row.get("source_row")
        found.append(
            (
                row["source_file"],
                Finding(
                    **base,
                    source_sheet=str(row.get("source_sheet") or ""),
                    source_row=None if pd.isna(source_row) else int(source_row),
                    value=None if not column or "," in column else _plain(row.get(column)),
                ),
            )
        )
    return found


def _plain(value: Any) -> Any:
    return None if pd.isna(value) else (value.item() if hasattr(value, "item") else value)


def build_data_docs() -> None:
    context().build_data_docs()
