"""Great Expectations checks that guard every load.

Blocking suites refuse a file; each expectation carries in its ``meta`` the reason a
sender reads (English and Russian). Warning suites (``*.warning``, every expectation
with GX's ``severity="warning"``) never refuse a file: they run on frames derived from
the reports that passed the blocking suites (parts by sex against the total, convicted
against prosecuted, measures implemented against due, year-over-year jumps against the
state's previous accepted report) and their findings go on the review list
(``audit.validation_findings``). The suites are committed JSON files under
``expectations/``; ``write_suites()`` is how they are (re)written from the definitions
below, and the intake only reads them. Sets that depend on reference data (which
states take part in a programme in a year, which indicators the programme may carry)
are suite parameters, filled in from the seeds at validation time.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from programme_monitoring.reference import MEASURE_STATUSES, Reference, load_reference
from programme_monitoring.report_format.records import ParsedReport
from programme_monitoring.settings import EXPECTATIONS_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # never phone home from a closed network
logging.getLogger("great_expectations").setLevel(logging.WARNING)

DATASOURCE = "reports"
# Suite name -> the table of a parsed report it validates.
BLOCKING_SUITES = {
    "report_header.blocking": "header",
    "indicator_values.blocking": "indicator_values",
    "measure_status.blocking": "measures",
}
# Warning suites -> the derived frame each validates (built by ``_warning_frames``).
WARNING_SUITES = {
    "sex_parts.warning": "sex_parts",
    "convicted_prosecuted.warning": "convicted_prosecuted",
    "measures_due.warning": "measures_due",
    "year_over_year.warning": "year_over_year",
}
# A year-over-year jump worth a look: the value grew or shrank more than this factor,
# both years above the floor (small counts jump by nature).
JUMP_FACTOR = 3
JUMP_FLOOR = 20


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
    rule: str = ""
    involved: dict[str, Any] = field(default_factory=dict, compare=False)

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


def _warn(rule: str, en: str, ru: str, involved: list[str]) -> dict[str, Any]:
    return {"rule": rule, "reason_en": en, "reason_ru": ru, "involved": involved}


def warning_suite_definitions() -> dict[str, list]:
    """The review rules: a finding loads the file and goes on the review list."""
    e = _gx().expectations
    return {
        "sex_parts.warning": [
            e.ExpectColumnValuesToBeBetween(
                column="difference",
                min_value=0,
                max_value=0,
                severity="warning",
                meta=_warn(
                    "sex_parts_sum_to_total",
                    "the parts by sex do not add up to the total",
                    "сумма значений в разбивке по полу не равна итогу",
                    ["indicator_code", "total", "sex_sum"],
                ),
            )
        ],
        "convicted_prosecuted.warning": [
            e.ExpectColumnValuesToBeBetween(
                column="excess",
                max_value=0,
                severity="warning",
                meta=_warn(
                    "convicted_not_above_prosecuted",
                    "more persons convicted (THB05) than brought to justice (THB04)",
                    "осуждено лиц (THB05) больше, чем привлечено к уголовной ответственности (THB04)",
                    ["prosecuted", "convicted"],
                ),
            )
        ],
        "measures_due.warning": [
            e.ExpectColumnValuesToBeBetween(
                column="excess",
                max_value=0,
                severity="warning",
                meta=_warn(
                    "implemented_not_above_due",
                    "more measures implemented than due in the year",
                    "выполнено больше мероприятий, чем предусмотрено на год",
                    ["basis", "implemented", "due"],
                ),
            )
        ],
        "year_over_year.warning": [
            e.ExpectColumnValuesToBeBetween(
                column="ratio",
                min_value=1 / JUMP_FACTOR,
                max_value=JUMP_FACTOR,
                severity="warning",
                meta=_warn(
                    "year_over_year_jump",
                    f"the total changed more than {JUMP_FACTOR}-fold against the state's previous "
                    "accepted report: check the figure or explain it in a comment",
                    f"итог изменился более чем в {JUMP_FACTOR} раза по сравнению с предыдущим принятым "
                    "отчётом государства: проверьте значение или поясните его в комментарии",
                    ["indicator_code", "previous_year", "previous_value", "value"],
                ),
            )
        ],
    }


def write_suites() -> None:
    """(Re)write the committed suites, datasource and validation definitions under expectations/."""
    gx = _gx()
    ctx = context()
    source = ctx.data_sources.add_or_update_pandas(DATASOURCE)
    definitions = [(name, "error", rules) for name, rules in suite_definitions().items()]
    definitions += [(name, "warning", rules) for name, rules in warning_suite_definitions().items()]
    for suite_name, severity, expectations in definitions:
        table = {**BLOCKING_SUITES, **WARNING_SUITES}[suite_name]
        suite = gx.ExpectationSuite(
            name=suite_name, expectations=expectations, meta={"severity": severity, "table": table}
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
    values = pd.concat([r.indicator_values for r in reports], ignore_index=True)
    # A large report has a million rows: GX compares and de-duplicates categorical
    # columns (integer codes) far faster than text, and checks a float column in bulk.
    values["source_file"] = pd.Categorical.from_codes(
        np.repeat(np.arange(len(reports)), [len(r.indicator_values) for r in reports]),
        categories=[str(r.source_file) for r in reports],
    )
    values["indicator_code"] = values["indicator_code"].astype("category")
    values["disaggregation"] = values["disaggregation"].astype("category")
    values["value"] = values["value"].astype("float64")  # NaN = not reported; counts stay exact below 2**53
    # The disaggregation check only makes sense for indicators the programme carries;
    # an unknown code is reported once, by the code check.
    values["indicator_dimension"] = _indicator_dimension(values, reportable)
    measures = pd.concat(
        [r.measures.assign(source_file=str(r.source_file)) for r in reports], ignore_index=True
    )
    return {"header": headers, "indicator_values": values, "measures": measures}


def _indicator_dimension(values: pd.DataFrame, reportable: set[str]) -> pd.Categorical:
    """ "CODE:dimension" per row (e.g. "THB02:sex"), NA where the code is not reportable;
    built once per distinct (code, dimension) pair, not once per row."""
    codes, disaggregation = values["indicator_code"].cat, values["disaggregation"].cat
    dimension_of = [d.split("=", 1)[0] for d in disaggregation.categories.to_numpy(dtype=object).tolist()]
    dimension_codes, dimensions = pd.factorize(np.asarray(dimension_of, dtype=object))
    width = max(len(dimensions), 1)
    pairs = codes.codes.astype("int64") * width + dimension_codes[disaggregation.codes]
    pair_codes, distinct = pd.factorize(pairs)
    labels = []
    for pair in distinct:
        code = codes.categories[pair // width]
        labels.append(f"{code}:{dimensions[pair % width]}" if code in reportable else None)
    return pd.Categorical(np.asarray(labels, dtype=object)[pair_codes])


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
        severity="warning" if suite_name in WARNING_SUITES else "error",
        table=table,
        column=column,
        reason_en=meta.get("reason_en", config.type),
        reason_ru=meta.get("reason_ru", config.type),
        rule=meta.get("rule", config.type),
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
                    involved={name: _plain(row.get(name)) for name in meta.get("involved", [])},
                ),
            )
        )
    return found


def _plain(value: Any) -> Any:
    if pd.isna(value):
        return None
    value = value.item() if hasattr(value, "item") else value
    return (
        int(value) if isinstance(value, float) and value.is_integer() else value
    )  # counts checked as floats


def _warning_frames(
    reports: list[ParsedReport],
    reference: Reference,
    previous: dict[str, tuple[int, dict[str, int]]],
) -> dict[str, pd.DataFrame]:
    """Frames the warning suites check, one row per comparison, pointing at the row to review.

    ``previous`` maps a report's source file to (previous year, {indicator: total}) from
    the state's previous accepted report of the same programme.
    """
    rows: dict[str, list[dict]] = {table: [] for table in WARNING_SUITES.values()}
    for report in reports:
        source = str(report.source_file)
        values = report.indicator_values
        reported = values[values["is_reported"].astype(bool) & values["value"].notna()]
        totals = {r.indicator_code: r for r in reported[reported["disaggregation"] == "total"].itertuples()}

        def at(code: str, totals=totals, source=source, **extra: Any) -> dict:
            r = totals[code]
            return {
                "source_file": source,
                "source_sheet": r.source_sheet,
                "source_row": r.source_row,
                **extra,
            }

        by_sex = reported[reported["disaggregation"].str.startswith("sex=")]
        for code, parts in by_sex.groupby("indicator_code"):
            if code in totals:
                total, sex_sum = int(totals[code].value), int(parts["value"].sum())
                rows["sex_parts"].append(
                    at(code, indicator_code=code, total=total, sex_sum=sex_sum, difference=total - sex_sum)
                )
        if "THB04" in totals and "THB05" in totals:
            prosecuted, convicted = int(totals["THB04"].value), int(totals["THB05"].value)
            rows["convicted_prosecuted"].append(
                at("THB05", prosecuted=prosecuted, convicted=convicted, excess=convicted - prosecuted)
            )
        h = report.header
        if h.programme_code in reference.programme_codes and not report.measures.empty:
            implemented = int((report.measures["status"] == "implemented").sum())
            due = len(reference.measures_due(h.programme_code, h.reporting_year))
            rows["measures_due"].append(
                {
                    "source_file": source,
                    "source_sheet": str(report.measures["source_sheet"].iloc[0]),
                    "source_row": None,
                    "basis": "measure statuses / registry",
                    "implemented": implemented,
                    "due": due,
                    "excess": implemented - due,
                }
            )
        if "PRG01" in totals and "PRG02" in totals:
            implemented, due = int(totals["PRG02"].value), int(totals["PRG01"].value)
            rows["measures_due"].append(
                at("PRG02", basis="PRG02 / PRG01", implemented=implemented, due=due, excess=implemented - due)
            )
        previous_year, previous_totals = previous.get(source, (None, {}))
        for code, r in totals.items():
            before = previous_totals.get(code)
            if before is not None and before > JUMP_FLOOR and int(r.value) > JUMP_FLOOR:
                rows["year_over_year"].append(
                    at(
                        code,
                        indicator_code=code,
                        previous_year=previous_year,
                        previous_value=int(before),
                        value=int(r.value),
                        ratio=int(r.value) / before,
                    )
                )
    return {table: pd.DataFrame(found) for table, found in rows.items()}


def validate_warnings(
    reports: list[ParsedReport], previous: dict[str, tuple[int, dict[str, int]]] | None = None
) -> dict[str, list[Finding]]:
    """Run every warning suite over all reports at once; findings per source file."""
    ctx = context()
    findings: dict[str, list[Finding]] = {str(r.source_file): [] for r in reports}
    if not reports:
        return findings
    frames = _warning_frames(reports, load_reference(), previous or {})
    for suite_name, table in WARNING_SUITES.items():
        frame = frames[table]
        if frame.empty:
            continue
        _run(ctx.validation_definitions.get(suite_name), suite_name, table, frame, {}, findings)
    return findings


def build_data_docs() -> None:
    context().build_data_docs()
