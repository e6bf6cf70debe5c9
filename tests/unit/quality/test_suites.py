"""quality.suites: what the suites say, and that the committed JSON is exactly what the code writes.

Pure definitions (Great Expectations objects, no database): every rule has a code and a
reason in both languages, blocking and warning suites are what their names say, and
``expectations/`` holds no suite the code does not define nor any rule it does not write.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from programme_monitoring.quality import suites
from programme_monitoring.settings import EXPECTATIONS_DIR


def _committed_suites() -> dict[str, dict]:
    found = {}
    for path in sorted((EXPECTATIONS_DIR / "expectations").rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        found[doc["name"]] = doc
    return found


def _without_ids(expectations: list[dict]) -> list[dict]:
    return [{key: value for key, value in e.items() if key != "id"} for e in expectations]


def test_every_rule_has_a_unique_code_and_a_reason_in_english_and_russian():
    codes = []
    for _, (_meta, expectations) in suites.defined_suites().items():
        for expectation in expectations:
            rule = expectation.meta
            assert rule["reason_en"] and rule["reason_ru"], rule
            assert rule["reason_en"] != rule["reason_ru"]
            codes.append(rule["rule"])
    assert len(codes) == len(set(codes)), codes


def test_blocking_suites_refuse_and_warning_suites_only_warn():
    defined = suites.defined_suites()
    assert set(defined) == set(suites.BLOCKING_SUITES) | set(suites.WARNING_SUITES)
    for name, (meta, expectations) in defined.items():
        warning = name in suites.WARNING_SUITES
        assert name.endswith(".warning" if warning else ".blocking")
        assert meta == {"severity": "warning" if warning else "error", "table": suites.SUITE_TABLES[name]}
        for expectation in expectations:
            assert (str(expectation.severity.value) == "warning") is warning, (name, expectation)
            # a warning names the values it compares, so the review list can show them
            assert bool(expectation.meta.get("involved")) is warning


def test_the_intake_owns_no_rule_across_reports():
    """Year-over-year jumps and outliers belong to the warehouse (rpt_validation_findings)."""
    codes = {e.meta["rule"] for _, rules in suites.defined_suites().values() for e in rules}
    assert {"sex_parts_sum_to_total", "age_parts_not_above_total", "convicted_not_above_prosecuted",
            "implemented_not_above_due"} <= codes  # fmt: skip
    assert not {"year_over_year_jump", "modified_z_score_outlier"} & codes


def test_the_committed_suites_are_the_ones_the_code_defines():
    committed = _committed_suites()
    defined = suites.defined_suites()
    assert set(committed) == set(defined)
    for name, (meta, expectations) in defined.items():
        doc = committed[name]
        assert {k: v for k, v in doc["meta"].items() if k != "great_expectations_version"} == meta, name
        assert _without_ids(doc["expectations"]) == suites.rules_of(expectations), name
    definitions = {p.stem for p in (EXPECTATIONS_DIR / "validation_definitions").glob("*.json")}
    assert definitions == set(defined)


def test_writing_the_suites_again_changes_no_committed_file(tmp_path):
    """write_suites is a fixed point on expectations/: edit the code and the JSON together."""
    copy = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, copy, ignore=shutil.ignore_patterns("uncommitted"))

    def files(root: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and "uncommitted" not in p.parts
        }

    before = files(copy)
    suites.write_suites(copy)
    assert files(copy) == before
