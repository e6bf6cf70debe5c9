"""The Great Expectations suites: every rule the intake applies to one report, defined once.

Blocking suites (``*.blocking``) refuse a file; warning suites (``*.warning``, every
expectation with GX's ``severity="warning"``) load it and put the finding on the review
list. Every rule is a row of the rule catalogue (seed ``validation_rules``, read through
``reference.validation_rules``): its severity and its message templates (English and
Russian) come from there into the expectation (``severity``, ``meta``); a warning's meta
also names the values it compares, which fill in its templates (``validation``), among them
``indicators``: the indicator codes whose state-year values the finding concerns (``|``-separated),
so the warehouse does not list the same value again under a rule of its own. Sets that depend on
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

from programme_monitoring.reference import MEASURE_STATUSES, validation_rules
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
    context = gx().get_context(mode="file", context_root_dir=str(root))
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every frame it validates below HASH_THRESHOLD bytes (an MD5 over pandas'
    # hash of every cell: 0.2 s per million rows, a third of the suites' time on a large annex)
    # and only shows it in the Data Docs; what was validated is the file of the SHA-256 in the ledger.
    pandas_execution_engine.HASH_THRESHOLD = 0
    return context


def forget_validated_frames() -> None:
    """Drop what GX keeps of the frames it validated: its execution engine caches the last batch
    of each table and the metrics computed on it (a row-long Series per rule), so a
    million-row report's frame and columns, and its breakdowns with them, would stay held
    while the intake reads its next batch of files (150 MB at 1,000,000 rows). GX 1.x has no
    public call for the data or the metrics; a test fails if these caches move."""
    engine = context().data_sources.get(DATASOURCE).get_execution_engine()
    engine.batch_manager.reset_batch_cache()
    engine.batch_manager._batch_data_cache.clear()
    engine._metric_cache.clear()


def _param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def _rule(code: str, involved: list[str] | None = None) -> dict[str, Any]:
    """An expectation's severity and ``meta`` from the rule catalogue (seed ``validation_rules``):
    its code and message templates (English and Russian), a warning also the values it compares
    (the names its templates may use, with ``indicator``)."""
    rule = validation_rules()[code]
    if rule.checked_by != "gx":
        raise ValueError(f"rule {code!r} is not a Great Expectations rule in the catalogue")
    meta: dict[str, Any] = {"rule": code, "reason_en": rule.message_en, "reason_ru": rule.message_ru}
    if involved is not None:
        meta["involved"] = involved
    return {"severity": "critical" if rule.blocking else "warning", "meta": meta}


def suite_definitions() -> dict[str, list]:
    """The blocking rules, one expectation each, with the reason shown to the sender."""
    e = gx().expectations
    return {
        "report_header.blocking": [
            e.ExpectColumnValuesToBeInSet(
                column="state_code",
                value_set=_param("known_states"),
                **_rule("known_state"),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="programme_code",
                value_set=_param("known_programmes"),
                **_rule("known_programme"),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="state_code",
                value_set=_param("participating_states"),
                **_rule("participating_state"),
            ),
            e.ExpectColumnValuesToBeBetween(
                column="reporting_year",
                min_value=_param("first_year"),
                max_value=_param("last_year"),
                **_rule("reporting_year_in_period"),
            ),
            e.ExpectColumnValuesToBeBetween(
                column="version",
                min_value=1,
                **_rule("version_from_1"),
            ),
            e.ExpectColumnValuesToNotBeNull(
                column="authority",
                **_rule("authority_given"),
            ),
        ],
        "indicator_values.blocking": [
            e.ExpectTableRowCountToBeBetween(
                min_value=1,
                **_rule("has_indicator_values"),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="indicator_code",
                value_set=_param("reportable_indicators"),
                **_rule("known_indicator"),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="indicator_dimension",
                value_set=_param("allowed_dimensions"),
                **_rule("allowed_disaggregation"),
            ),
            e.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=0,
                **_rule("value_not_negative"),
            ),
            e.ExpectCompoundColumnsToBeUnique(
                column_list=["source_file", "indicator_code", "disaggregation"],
                **_rule("indicator_unique"),
            ),
        ],
        "measure_status.blocking": [
            e.ExpectColumnValuesToBeInSet(
                column="measure_code",
                value_set=_param("programme_measures"),
                **_rule("known_measure"),
            ),
            e.ExpectColumnValuesToBeInSet(
                column="status",
                value_set=list(MEASURE_STATUSES),
                **_rule("known_measure_status"),
            ),
            e.ExpectCompoundColumnsToBeUnique(
                column_list=["source_file", "measure_code"],
                **_rule("measure_unique"),
            ),
        ],
    }


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
                **_rule(
                    "sex_parts_sum_to_total", involved=["indicator_code", "indicators", "total", "sex_sum"]
                ),
            )
        ],
        "age_parts.warning": [
            e.ExpectColumnValuesToBeBetween(
                column="excess",
                max_value=0,
                **_rule(
                    "age_parts_not_above_total", involved=["indicator_code", "indicators", "total", "age_sum"]
                ),
            )
        ],
        "convicted_prosecuted.warning": [
            e.ExpectColumnValuesToBeBetween(
                column="excess",
                max_value=0,
                **_rule("convicted_not_above_prosecuted", involved=["indicators", "prosecuted", "convicted"]),
            )
        ],
        "measures_due.warning": [
            e.ExpectColumnValuesToBeBetween(
                column="excess",
                max_value=0,
                **_rule("implemented_not_above_due", involved=["indicators", "basis", "implemented", "due"]),
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
