"""The validation-rule catalogue (seed ``validation_rules``) against the code that applies it.

Every rule the system applies has a row, and every row is applied somewhere: the Great
Expectations suites (their expectations' ``meta``), the intake's own checks and the reader
(``Finding(..., rule=...)`` and ``checks._error(en, ru, rule, ...)`` in the source) and the
warehouse's rules in dbt (``rule_code = '...'`` in ``rpt_validation_findings``).
"""

from __future__ import annotations

import ast
import re
import string

import pytest
from programme_monitoring.quality import suites
from programme_monitoring.reference import validation_rules
from programme_monitoring.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "include" / "programme_monitoring"
FINDINGS_SQL = PROJECT_ROOT / "dbt_project" / "models" / "marts" / "rpt_validation_findings.sql"


def _python_rule_codes() -> set[str]:
    """Rule codes the Python code gives a Finding: ``rule="..."`` or ``_error``'s third argument."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "Finding":
                found |= {
                    k.value.value
                    for k in node.keywords
                    if k.arg == "rule" and isinstance(k.value, ast.Constant)
                }
            if node.func.id == "_error" and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant):
                found.add(node.args[2].value)
    return found


def _gx_rules() -> dict[str, str]:
    """Rule code -> the suite whose expectation applies it."""
    return {e.meta["rule"]: name for name, (_, rules) in suites.defined_suites().items() for e in rules}


def _dbt_rule_codes() -> set[str]:
    return set(re.findall(r"rule_code = '([a-z_]+)'", FINDINGS_SQL.read_text(encoding="utf-8")))


def test_every_rule_applied_has_a_catalogue_row_and_every_row_is_applied():
    catalogue = validation_rules()
    by_place = {
        "gx": set(_gx_rules()),
        "dbt": _dbt_rule_codes(),
        "intake/reader": _python_rule_codes(),
    }
    applied = set().union(*by_place.values())
    assert applied - set(catalogue) == set(), "rules applied without a catalogue row"
    assert set(catalogue) - applied == set(), "catalogue rows no code applies"
    for code, rule in catalogue.items():
        place = {"gx": "gx", "dbt": "dbt"}.get(rule.checked_by, "intake/reader")
        assert code in by_place[place], (code, rule.checked_by)


def test_each_great_expectations_rule_is_in_the_suite_and_severity_the_catalogue_gives():
    catalogue = validation_rules()
    for code, suite in _gx_rules().items():
        rule = catalogue[code]
        assert rule.suite == suite, code
        assert rule.blocking is suite.endswith(".blocking"), code
        assert rule.severity == ("error" if rule.blocking else "warning"), code


def test_rows_are_consistent_and_speak_both_languages():
    for code, rule in validation_rules().items():
        assert rule.scope == ("warehouse" if rule.checked_by == "dbt" else "intake"), code
        assert rule.blocking is (rule.severity == "error"), code
        assert not (rule.in_council_report and rule.blocking), code  # a refused file has no figures
        if rule.checked_by in ("reader", "intake"):  # the intake refuses the file on any of these
            assert rule.blocking, code
        for en, ru in ((rule.message_en, rule.message_ru), (rule.description_en, rule.description_ru)):
            assert en and ru and en != ru, code
            assert re.search("[а-яё]", ru, re.IGNORECASE), code
            assert not re.search("[а-яё]", en, re.IGNORECASE), code
        placeholders = [
            {f for _, f, _, _ in string.Formatter().parse(t) if f} for t in (rule.message_en, rule.message_ru)
        ]
        assert placeholders[0] == placeholders[1], code  # the same values named in both languages
    thresholds = {code: rule.thresholds for code, rule in validation_rules().items() if rule.thresholds}
    assert set(thresholds) == {"year_over_year_jump", "modified_z_score_outlier"}
    assert thresholds["year_over_year_jump"].keys() == {"factor", "floor", "level_share"}
    assert thresholds["modified_z_score_outlier"].keys() == {"floor", "z_limit", "min_years", "level_share"}


@pytest.mark.parametrize(
    ("code", "values", "en", "ru"),
    [
        (
            "convicted_not_above_prosecuted",
            {"convicted": 25, "prosecuted": 21},
            "persons convicted 25 exceeds persons brought to justice (prosecuted) 21",
            "осуждено 25 — больше, чем привлечено к уголовной ответственности 21",
        ),
        (
            "sex_parts_sum_to_total",
            {"indicator": "X (THB02)", "sex_sum": 40, "total": 50},
            "X (THB02): the parts by sex add up to 40, not to the total 50",
            "X (THB02): сумма значений в разбивке по полу 40 не равна итогу 50",
        ),
    ],
)
def test_a_message_template_reads_the_relation_the_right_way(code, values, en, ru):
    rule = validation_rules()[code]
    assert rule.message("en", **values) == en
    assert rule.message("ru", **values) == ru
