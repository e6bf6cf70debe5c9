"""The Great Expectations suites: every rule the intake applies to one report, defined once.

Blocking suites (``*.blocking``) refuse a file; warning suites (``*.warning``, every
expectation with GX's ``severity="warning"``) load it and put the finding on the review
list. Each expectation carries in its ``meta`` the reason a sender reads (English and
Russian), a warning also its rule code and the values it compares. Sets that depend on
reference data (which states take part in a programme in a year, which indicators the
programme may carry) are suite parameters, filled in from the seeds at validation time.

The intake owns the rules one report's rows can decide (header, codes, values, parts by
sex and age against the total, convicted against prosecuted, measures implemented against
due); rules across reports and years (year-over-year jumps, outliers over a state's series)
belong to the warehouse (``rpt_validation_findings``), which reads these findings as they
are. The suites are committed JSON under ``expectations/``; ``write_suites()`` is how they
are (re)written from the definitions below, and a test keeps the two equal.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path
from typing import Any

from programme_monitoring.reference import MEASURE_STATUSES
from programme_monitoring.settings import EXPECTATIONS_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # never phone home from a closed network
logging.getLogger("great_expectations").setLevel(logging.WARNING)

DATASOURCE = "reports"
BATCH = "whole"
# Suite name -> the table of a parsed report it validates.
BLOCKING_SUITES = {
    "report_header.blocking": "header",
    "indicator_values.blocking": "indicator_values",
    "measure_status.blocking": "measures",
}
# Warning suite -> the frame derived from the reports it validates (``validation.warning_frames``).
WARNING_SUITES = {
    "sex_parts.warning": "sex_parts",
    "age_parts.warning": "age_parts",
    "convicted_prosecuted.warning": "convicted_prosecuted",
    "measures_due.warning": "measures_due",
}
SUITE_TABLES = {**BLOCKING_SUITES, **WARNING_SUITES}


def gx():
    import great_expectations  # heavy import (seconds): only when validating or writing suites

    return great_expectations


@cache
def context(root: Path = EXPECTATIONS_DIR):
    """The file context of the committed suites (or of a copy of them, for tests)."""
    return gx().get_context(mode="file", context_root_dir=str(root))


def _param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def _meta(rule: str, en: str, ru: str) -> dict[str, str]:
    return {"rule": rule, "reason_en": en, "reason_ru": ru}


def suite_definitions() -> dict[str, list]:
    """The blocking rules, one expectation each, with the reason shown to the sender."""
    e = gx().expectations
    return {
        "report_header.blocking": [
            e.ExpectColumnValuesToBeInSet(
                column="state_code",
                value_set=_param("known_states"),
                meta=_meta(
                    "known_state",
                    "unknown state code: use the ISO 3166 alpha-2 code of a CIS state (e.g. KZ)",
                    "неизвестный код государства: укажите код ISO 3166 alpha-2 (например, KZ)",
                ),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="programme_code",
                value_set=_param("known_programmes"),
                meta=_meta(
                    "known_programme",
                    "unknown programme code: use THB, IM or CR",
                    "неизвестный код программы: укажите THB, IM или CR",
                ),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="state_code",
                value_set=_param("participating_states"),
                meta=_meta(
                    "participating_state",
                    "this state does not take part in this programme in the reporting year",
                    "государство не участвует в программе в отчётном году",
                ),
            ),
            e.ExpectColumnValuesToBeBetween(
                column="reporting_year",
                min_value=_param("first_year"),
                max_value=_param("last_year"),
                meta=_meta(
                    "reporting_year_in_period",
                    "reporting year is outside the programme period or in the future",
                    "отчётный год вне срока программы или в будущем",
                ),
            ),
            e.ExpectColumnValuesToBeBetween(
                column="version",
                min_value=1,
                meta=_meta(
                    "version_from_1",
                    "report version must be a whole number from 1",
                    "версия отчёта должна быть целым числом от 1",
                ),
            ),
            e.ExpectColumnValuesToNotBeNull(
                column="authority",
                meta=_meta(
                    "authority_given", "reporting authority is missing", "не указан представивший отчёт орган"
                ),
            ),
        ],
        "indicator_values.blocking": [
            e.ExpectTableRowCountToBeBetween(
                min_value=1,
                meta=_meta(
                    "has_indicator_values",
                    "the report has no indicator values",
                    "в отчёте нет значений показателей",
                ),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="indicator_code",
                value_set=_param("reportable_indicators"),
                meta=_meta(
                    "known_indicator",
                    "indicator code does not exist or is not reported under this programme in this year",
                    "код показателя не существует или не предусмотрен программой в этом году",
                ),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="indicator_dimension",
                value_set=_param("allowed_dimensions"),
                meta=_meta(
                    "allowed_disaggregation",
                    "this disaggregation is not allowed for the indicator",
                    "такая разбивка не предусмотрена для показателя",
                ),
            ),
            e.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=0,
                meta=_meta(
                    "value_not_negative",
                    "value must be a whole number >= 0 (leave empty if not reported)",
                    "значение должно быть целым числом >= 0 (пусто, если не представлено)",
                ),
            ),
            e.ExpectCompoundColumnsToBeUnique(
                column_list=["source_file", "indicator_code", "disaggregation"],
                meta=_meta(
                    "indicator_unique",
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
                    "known_measure",
                    "measure code is not in the programme's measure registry",
                    "кода мероприятия нет в перечне мероприятий программы",
                ),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="status",
                value_set=list(MEASURE_STATUSES),
                meta=_meta(
                    "known_measure_status",
                    "status must be implemented, in_progress, not_implemented or postponed",
                    "статус: выполнено, выполняется, не выполнено или перенесено",
                ),
            ),
            e.ExpectCompoundColumnsToBeUnique(
                column_list=["source_file", "measure_code"],
                meta=_meta(
                    "measure_unique",
                    "the same measure appears more than once",
                    "мероприятие указано несколько раз",
                ),
            ),
        ],
    }


def _warn(rule: str, en: str, ru: str, involved: list[str]) -> dict[str, Any]:
    return {**_meta(rule, en, ru), "involved": involved}


def warning_suite_definitions() -> dict[str, list]:
    """The review rules on one report: a finding loads the file and goes on the review list.

    Each compares two figures of the report with no tolerance: the derived frame holds the
    difference, which must be 0 (parts by sex) or not above 0 (the others).
    """
    e = gx().expectations
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
        "age_parts.warning": [
            e.ExpectColumnValuesToBeBetween(
                column="excess",
                max_value=0,
                severity="warning",
                meta=_warn(
                    "age_parts_not_above_total",
                    "the parts by age group add up to more than the total",
                    "сумма значений в разбивке по возрастным группам больше итога",
                    ["indicator_code", "total", "age_sum"],
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
    }


def defined_suites() -> dict[str, tuple[dict[str, str], list]]:
    """Every suite the code defines: name -> (suite meta, expectations)."""
    blocking = {name: ("error", rules) for name, rules in suite_definitions().items()}
    warning = {name: ("warning", rules) for name, rules in warning_suite_definitions().items()}
    return {
        name: ({"severity": severity, "table": SUITE_TABLES[name]}, rules)
        for name, (severity, rules) in {**blocking, **warning}.items()
    }


def rules_of(expectations: list) -> list[dict[str, Any]]:
    """What an expectation list says, without GX's generated ids (for comparing two copies)."""
    return [
        {key: value for key, value in e.configuration.to_json_dict().items() if key != "id"}
        for e in expectations
    ]


def suite_meta(suite) -> dict[str, Any]:
    return {key: value for key, value in (suite.meta or {}).items() if key != "great_expectations_version"}


def write_suites(root: Path = EXPECTATIONS_DIR) -> None:
    """(Re)write the suites, datasource and validation definitions under ``root`` (the committed
    ``expectations/`` by default) from the definitions above. A suite the code no longer
    defines is deleted; one whose rules are unchanged is left as it is (GX ids stay put)."""
    great_expectations = gx()
    ctx = context(root)
    wanted = defined_suites()
    for stale in [d.name for d in ctx.validation_definitions.all() if d.name not in wanted]:
        ctx.validation_definitions.delete(stale)
    stored = {suite.name: suite for suite in ctx.suites.all()}
    for stale in [name for name in stored if name not in wanted]:
        ctx.suites.delete(stale)
    try:
        source = ctx.data_sources.get(DATASOURCE)
    except KeyError:
        source = ctx.data_sources.add_pandas(DATASOURCE)
    for stale in [a.name for a in source.assets if a.name not in SUITE_TABLES.values()]:
        source.delete_asset(stale)
    for suite_name, (meta, expectations) in wanted.items():
        suite = stored.get(suite_name)
        if (
            suite is None
            or suite_meta(suite) != meta
            or rules_of(suite.expectations) != rules_of(expectations)
        ):
            suite = ctx.suites.add_or_update(
                great_expectations.ExpectationSuite(name=suite_name, expectations=expectations, meta=meta)
            )
        table = meta["table"]
        asset = next((a for a in source.assets if a.name == table), None) or source.add_dataframe_asset(table)
        batch = next((b for b in asset.batch_definitions if b.name == BATCH), None)
        batch = batch or asset.add_batch_definition_whole_dataframe(BATCH)
        try:
            current = ctx.validation_definitions.get(suite_name)
            if current.suite.id == suite.id and current.batch_definition.id == batch.id:
                continue
        except Exception:  # missing, or pointing at an asset that no longer exists
            pass
        ctx.validation_definitions.add_or_update(
            great_expectations.ValidationDefinition(name=suite_name, data=batch, suite=suite)
        )
