"""Running the Great Expectations suites (``suites``) on parsed reports (their Data Docs: ``data_docs``).

Blocking suites run on the report's own tables (header, indicator values, measures),
batched per programme and year because a suite run costs GX a fixed ~0.2 s whatever the
row count. Warning suites run on frames derived from the reports that passed (one row per
comparison, pointing at the row to review). Every failed expectation becomes a
``findings.Finding`` naming the file, sheet, row and column, with the reason from the
expectation's ``meta``; a rule lists at most ``MAX_PROBLEMS`` rows of a file, then counts the rest.
A large report's values may have passed their suite already, slice by slice as they were read
(``slices``): they are not checked again, and only the rows the warnings compare are held.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from programme_monitoring.quality import breakdowns, data_docs, suites
from programme_monitoring.quality.findings import Finding
from programme_monitoring.quality.suites import BLOCKING_SUITES, WARNING_SUITES, context
from programme_monitoring.reference import Reference, load_reference
from programme_monitoring.report_format.labels import user_column
from programme_monitoring.report_format.records import (
    INDICATOR_COLUMNS,
    MAX_PROBLEMS,
    ParsedReport,
    text_categorical,
    total_rows,
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
    # (a report whose values were checked as they were read has passed this suite already)
    held = [r for r in reports if r.streamed_rows is None]
    values = values_frame([r.indicator_values for r in held], [str(r.source_file) for r in held], reportable)
    measures = pd.concat(
        [r.measures.assign(source_file=str(r.source_file)) for r in reports], ignore_index=True
    )
    return {"header": headers, "indicator_values": values, "measures": measures}


def values_frame(values: list[pd.DataFrame], files: list[str], reportable: set[str]) -> pd.DataFrame:
    """The indicator values the blocking suite checks: each frame of ``values`` from its source file."""
    # Comments are free text no suite reads: GX would turn a report's into Python strings.
    frame = (
        pd.concat([v.drop(columns="comment") for v in values], ignore_index=True)
        if values
        else pd.DataFrame(columns=[c for c in INDICATOR_COLUMNS if c != "comment"])
    )
    # A large report has a million rows: GX compares and de-duplicates categorical
    # columns (integer codes) far faster than text, and checks a float column in bulk.
    file_codes, distinct_files = pd.factorize(pd.Series(files, dtype=object))
    frame["source_file"] = pd.Categorical.from_codes(
        np.repeat(file_codes, [len(v) for v in values]), categories=distinct_files
    )
    frame["indicator_code"] = text_categorical(frame["indicator_code"])
    frame["disaggregation"] = text_categorical(frame["disaggregation"])
    frame["value"] = frame["value"].astype("float64")  # NaN = not reported; counts stay exact below 2**53
    # The disaggregation check only makes sense for indicators the programme carries;
    # an unknown code is reported once, by the code check.
    frame["indicator_dimension"] = breakdowns.indicator_dimension(frame, reportable)
    return frame


def parameters_for(programme: str, year: int, reference: Reference, current_year: int) -> dict[str, Any]:
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
        parameters = parameters_for(programme, year, reference, current_year)
        frames = _frames(group, set(parameters["reportable_indicators"]))
        for suite_name, table in BLOCKING_SUITES.items():
            frame = frames[table]
            if frame.empty and table != "indicator_values":
                continue
            definition = ctx.validation_definitions.get(suite_name)
            if table == "indicator_values":
                for report in group:
                    if report.streamed_rows is not None:  # checked as read (``slices``)
                        findings[str(report.source_file)] += report.values_findings
                    # An empty report still has to fail the row-count rule: validate it alone.
                    elif report.indicator_values.empty:
                        empty, file = frames[table].iloc[0:0], str(report.source_file)
                        _run(definition, suite_name, table, empty, parameters, findings, file)
                if frame.empty:  # (the empty reports have no rows in it: nothing to filter out)
                    continue
            _run(definition, suite_name, table, frame.reset_index(drop=True), parameters, findings)
    suites.forget_validated_frames()
    return findings


# GX lists at most MAX_PROBLEMS failing rows of a rule (then "and N more"), as the reader
# does, with their values for the Data Docs: a report of a million bad values is refused in
# seconds with a reason one can read (listing every row took minutes and gigabytes, in GX's
# stored result too).
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": MAX_PROBLEMS}


def _run(
    definition,
    suite_name: str,
    table: str,
    frame: pd.DataFrame,
    parameters: dict,
    findings: dict[str, list[Finding]],
    whole_file: str | None = None,
) -> None:
    result = validated(definition, suite_name, table, frame, parameters)
    failed = [outcome for outcome in result.results if not outcome.success]
    # (pd.unique, in order of appearance: a million-row frame is not walked in Python)
    files = [whole_file] if whole_file else [str(f) for f in pd.unique(frame["source_file"])]
    if len(files) > 1 and any(_unlisted(outcome) for outcome in failed):
        # The rows listed may all be one file's: each file is validated alone and gets its own.
        for file in files:
            alone = frame[frame["source_file"] == file].reset_index(drop=True)
            _run(definition, suite_name, table, alone, parameters, findings, file)
        return
    # A failure with no failing row (a table-level rule, or parameters GX cannot use, e.g. the
    # period of an unknown programme) belongs to every file of the batch.
    for outcome in failed:
        found = _findings(suite_name, table, outcome, frame)
        if more := _unlisted(outcome):  # all in the file of the rows listed (see above)
            found.append((found[-1][0], more_rows(found[-1][1], more)))
        for source_file, finding in found:
            for target in [source_file] if source_file else files:
                findings[target].append(_named_for_sender(finding, target))


def validated(definition, suite_name: str, table: str, frame: pd.DataFrame, parameters: dict):
    """GX's result of one suite on ``frame``, kept for the Data Docs."""
    result = definition.run(
        batch_parameters={"dataframe": frame}, expectation_parameters=parameters, result_format=RESULT_FORMAT
    )
    data_docs.unrendered.append((suite_name, table, result.meta["run_id"]))
    return result


def _unlisted(outcome) -> int:
    """How many rows failing the rule GX counted and did not list."""
    result = outcome.result
    return (result.get("unexpected_count") or 0) - len(result.get("partial_unexpected_index_list") or [])


# The columns the suites check, as the fields of the report format they come from: a finding
# names the column as the sender's file does (``labels.user_column``), never "state_code".
_REPORT_FIELDS = {
    "state_code": ("header", "state"),
    "programme_code": ("header", "programme"),
    "reporting_year": ("header", "reporting_year"),
    "version": ("header", "version"),
    "authority": ("header", "authority"),
    "indicator_code": ("indicator", "indicator_code"),
    "indicator_dimension": ("indicator", "disaggregation"),
    "disaggregation": ("indicator", "disaggregation"),
    "value": ("indicator", "value"),
    "measure_code": ("measure", "measure_code"),
    "status": ("measure", "status"),
}


def _named_for_sender(finding: Finding, source_file: str) -> Finding:
    if not finding.column:
        return finding
    fmt = Path(source_file).suffix.lower().lstrip(".")
    names = [
        user_column(fmt, *_REPORT_FIELDS[c]) if c in _REPORT_FIELDS else c for c in finding.column.split(",")
    ]
    return replace(finding, column=",".join(names))


def _findings(suite_name: str, table: str, outcome, frame: pd.DataFrame) -> list[tuple[str | None, Finding]]:
    config = outcome.expectation_config
    meta = config.meta or {}
    warning = suite_name in WARNING_SUITES
    columns = [c for c in config.kwargs.get("column_list") or [] if c != "source_file"]
    # A warning's column belongs to the derived frame, not to the report: its values are in ``involved``.
    column = "" if warning else config.kwargs.get("column") or ",".join(columns)
    base = dict(
        suite=suite_name,
        severity="warning" if warning else "error",
        table=table,
        column=column,
        reason_en=meta.get("reason_en", config.type),
        reason_ru=meta.get("reason_ru", config.type),
        rule=meta.get("rule", config.type),
    )
    indexes = outcome.result.get("partial_unexpected_index_list") or []
    if not indexes:
        return [(None, Finding(**base))]
    found = []
    for index in indexes:
        row = frame.iloc[index]
        source_row = row.get("source_row")
        involved = {name: _plain(row.get(name)) for name in meta.get("involved", [])}
        # a warning's templates name the values it compares: filled in per finding
        reasons = (
            {
                lang_key: _rendered(base[lang_key], lang_key[-2:], involved)
                for lang_key in ("reason_en", "reason_ru")
            }
            if warning
            else {}
        )
        found.append(
            (
                row["source_file"],
                Finding(
                    **{**base, **reasons},
                    source_sheet=str(row.get("source_sheet") or ""),
                    source_row=None if pd.isna(source_row) else int(source_row),
                    value=None if not column or "," in column else _plain(row.get(column)),
                    involved=involved,
                ),
            )
        )
    return found


def more_rows(listed: Finding, count: int) -> Finding:
    """The finding after the rows of a rule listed (``listed`` the last): how many more break it."""
    return replace(
        listed,
        reason_en=f"and {count} more rows with the same problem as those above",
        reason_ru=f"и ещё {count} строк(и) с той же проблемой, что и выше",
        source_sheet="",
        source_row=None,
        value=None,
        involved={},
    )


def file_findings(
    suite_name: str, table: str, outcome, frame: pd.DataFrame, file: str
) -> tuple[list[Finding], int]:
    """A failed rule's findings on ``frame`` (rows of ``file`` alone) as ``_run`` makes them,
    but for how many more rows it broke; and how many rows it broke (0: a rule of the table)."""
    listed = [_named_for_sender(finding, file) for _, finding in _findings(suite_name, table, outcome, frame)]
    return listed, len(listed) + _unlisted(outcome) if listed[0].source_row is not None else 0


# What a measures-due comparison counted, as each language says it (the frame's ``basis``).
_BASIS = {
    "measure statuses / registry": {
        "en": "measures reported implemented against the programme's registry",
        "ru": "мероприятия с отметкой о выполнении против перечня мероприятий программы",
    },
    "PRG02 / PRG01": {
        "en": "measures implemented (PRG02) against measures due (PRG01)",
        "ru": "выполнено мероприятий (PRG02) против предусмотренных (PRG01)",
    },
}


def _rendered(template: str, lang: str, involved: dict[str, Any]) -> str:
    """A warning's message in ``lang``: its catalogue template with the values it compares,
    the indicator named by its label (seed ``indicators``) and the code in brackets."""
    values = dict(involved)
    code = involved.get("indicator_code")
    if code is not None:
        names = load_reference().indicators.set_index("indicator_code")
        label = names.loc[code, f"name_{lang}"] if code in names.index else ""
        values["indicator"] = f"{label} ({code})" if label else str(code)
    basis = involved.get("basis")
    if basis in _BASIS:
        values["basis"] = _BASIS[basis][lang]
    return template.format(**values)


def _plain(value: Any) -> Any:
    if pd.isna(value):
        return None
    value = value.item() if hasattr(value, "item") else value
    return (
        int(value) if isinstance(value, float) and value.is_integer() else value
    )  # counts checked as floats


def _parts_rows(reported: pd.DataFrame, totals: dict, at) -> tuple[list[dict], list[dict]]:
    """Parts by sex against the total (only a breakdown reported in full must add up: a part
    not reported is unknown, not zero) and parts by age group (never more than the total)."""
    sex_rows, age_rows = [], []
    for code, parts in reported.groupby("indicator_code", observed=True):
        if code not in totals:
            continue
        total = int(totals[code].value)
        by_sex = parts[parts["prefix"] == "sex="]
        if not by_sex.empty and by_sex["complete"].all():
            sex_sum = int(by_sex["value"].sum())
            sex_rows.append(
                at(
                    code,
                    indicator_code=code,
                    indicators=code,
                    total=total,
                    sex_sum=sex_sum,
                    difference=total - sex_sum,
                )
            )
        by_age = parts[(parts["prefix"] == "age_group=") & parts["complete"]]
        if not by_age.empty:
            age_sum = int(by_age["value"].sum())
            age_rows.append(
                at(
                    code,
                    indicator_code=code,
                    indicators=code,
                    total=total,
                    age_sum=age_sum,
                    excess=age_sum - total,
                )
            )
    return sex_rows, age_rows


def warning_frames(reports: list[ParsedReport], reference: Reference) -> dict[str, pd.DataFrame]:
    """Frames the warning suites check, one row per comparison, pointing at the row to review."""
    rows: dict[str, list[dict]] = {table: [] for table in WARNING_SUITES.values()}
    for report in reports:
        source = str(report.source_file)
        values = report.indicator_values
        prefix = breakdowns.row_prefixes(values["disaggregation"])  # "sex=", "age_group=", ...
        complete = values["is_reported"].to_numpy(dtype=bool) & values["value"].notna().to_numpy()
        is_total = total_rows(values["disaggregation"])
        pointed = values.loc[is_total & complete, ["indicator_code", "value", "source_sheet", "source_row"]]
        totals = {r.indicator_code: r for r in pointed.itertuples()}

        def at(code: str, totals=totals, source=source, **extra: Any) -> dict:
            r = totals[code]
            return {
                "source_file": source,
                "source_sheet": r.source_sheet,
                "source_row": r.source_row,
                **extra,
            }

        # Only the parts by sex and by age group are compared with their total: a large annex's
        # other breakdowns (a million events) are left out before any column is copied.
        is_part = np.asarray(prefix.isin(breakdowns.COMPARED_PARTS))
        parts = values.loc[is_part, ["indicator_code", "value"]].assign(
            prefix=prefix[is_part], complete=complete[is_part]
        )
        sex_rows, age_rows = _parts_rows(parts, totals, at)
        rows["sex_parts"] += sex_rows
        rows["age_parts"] += age_rows
        if "THB04" in totals and "THB05" in totals:
            prosecuted, convicted = int(totals["THB04"].value), int(totals["THB05"].value)
            rows["convicted_prosecuted"].append(
                at(
                    "THB05",
                    indicators="THB04|THB05",
                    prosecuted=prosecuted,
                    convicted=convicted,
                    excess=convicted - prosecuted,
                )
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
                    "indicators": "PRG01|PRG02",
                    "basis": "measure statuses / registry",
                    "implemented": implemented,
                    "due": due,
                    "excess": implemented - due,
                }
            )
        if "PRG01" in totals and "PRG02" in totals:
            implemented, due = int(totals["PRG02"].value), int(totals["PRG01"].value)
            rows["measures_due"].append(
                at(
                    "PRG02",
                    indicators="PRG01|PRG02",
                    basis="PRG02 / PRG01",
                    implemented=implemented,
                    due=due,
                    excess=implemented - due,
                )
            )
    return {table: pd.DataFrame(found) for table, found in rows.items()}


def validate_warnings(reports: list[ParsedReport]) -> dict[str, list[Finding]]:
    """Run every warning suite over all reports at once; findings per source file."""
    ctx = context()
    findings: dict[str, list[Finding]] = {str(r.source_file): [] for r in reports}
    if not reports:
        return findings
    frames = warning_frames(reports, load_reference())
    for suite_name, table in WARNING_SUITES.items():
        frame = frames[table]
        if frame.empty:
            continue
        _run(ctx.validation_definitions.get(suite_name), suite_name, table, frame, {}, findings)
    return findings
