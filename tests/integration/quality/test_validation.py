"""quality.validation: the real Great Expectations suites run on real parsed reports.

Each report is written in the template (report_format.writer) and read back
(report_format.reader), as the intake would. A good report passes every suite; each
blocking rule refuses a report crafted to break it, naming the rule; each warning rule
fires exactly once on a report crafted to trip it, and on nothing else.
"""

from __future__ import annotations

import datetime as dt
import gc
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from programme_monitoring.quality import data_docs, suites, validation
from programme_monitoring.quality.findings import Finding
from programme_monitoring.reference import load_reference
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import MAX_PROBLEMS, ParsedReport, ReportHeader
from programme_monitoring.report_format.writer import write_report
from programme_monitoring.settings import EXPECTATIONS_DIR

THIS_YEAR = 2020
GOOD_VALUES = [
    ("THB01", "total", 100),
    ("THB02", "total", 50),
    ("THB02", "sex=female", 30),
    ("THB02", "sex=male", 20),
    ("THB02", "age_group=0-17", 10),
    ("THB02", "age_group=18+", 40),
    ("THB04", "total", 40),
    ("THB05", "total", 30),
]
GOOD_MEASURES = [("1.1.1", "implemented"), ("1.1.2", "in_progress")]


def report(
    folder: Path,
    *,
    state: str = "KZ",
    programme: str = "THB",
    year: int = 2014,
    version: int = 1,
    authority: str = "Test authority (SYNTHETIC)",
    values=GOOD_VALUES,
    measures=GOOD_MEASURES,
    name: str = "report.json",
) -> ParsedReport:
    header = ReportHeader(state, authority, programme, year, dt.date(year + 1, 2, 1), version)
    rows = [{"indicator_code": c, "disaggregation": d, "value": v, "comment": ""} for c, d, v in values]
    actions = [{"measure_code": m, "status": s, "narrative": ""} for m, s in measures]
    return parse_report(write_report(header, rows, actions, folder / name, Path(name).suffix[1:]))


def blocking(parsed: ParsedReport) -> list[Finding]:
    return validation.validate_reports([parsed], current_year=THIS_YEAR)[str(parsed.source_file)]


def warnings(parsed: ParsedReport) -> list[Finding]:
    return validation.validate_warnings([parsed])[str(parsed.source_file)]


def test_a_good_report_passes_every_suite(tmp_path):
    parsed = report(tmp_path)
    assert blocking(parsed) == []
    assert warnings(parsed) == []


def test_gx_does_not_fingerprint_the_frames_it_validates(tmp_path, monkeypatch):
    """GX's MD5 of every cell of each frame cost a third of the suites' time on a large annex."""
    from great_expectations.execution_engine import pandas_execution_engine

    hashed = []
    original = pandas_execution_engine.hash_pandas_dataframe
    monkeypatch.setattr(
        pandas_execution_engine, "hash_pandas_dataframe", lambda df: hashed.append(len(df)) or original(df)
    )
    parsed = report(tmp_path)
    assert blocking(parsed) == [] and warnings(parsed) == []
    assert hashed == []


def test_gx_keeps_no_frame_of_a_report_once_it_is_validated(tmp_path):
    """GX's engine caches the last batch of each table and the metrics computed on it (a Series
    per rule): the intake would hold a million-row report's frame into its next batch of files."""
    parsed = report(tmp_path, values=[*GOOD_VALUES, *[("THB01", f"article=A{n}", 0) for n in range(3000)]])
    rows = len(parsed.indicator_values)
    assert blocking(parsed) == []
    del parsed
    gc.collect()
    # type(), not isinstance(): some objects of other tests' imports are proxies that import on inspection
    held = [o for o in gc.get_objects() if type(o) in (pd.DataFrame, pd.Series) and len(o) == rows]
    assert held == []


def _not_participating() -> str:
    reference = load_reference()
    return sorted(set(reference.state_codes) - set(reference.participants("THB", 2014)))[0]


BLOCKING_CASES = {
    "known_state": dict(state="XX"),
    "known_programme": dict(programme="ZZ"),
    "participating_state": dict(state=_not_participating),
    "reporting_year_in_period": dict(year=2013),
    "version_from_1": dict(tamper=lambda r: setattr(r, "header", replace(r.header, version=0))),
    "authority_given": dict(tamper=lambda r: setattr(r, "header", replace(r.header, authority=""))),
    "has_indicator_values": dict(values=[]),
    "known_indicator": dict(values=[*GOOD_VALUES, ("THB99", "total", 3)]),
    "allowed_disaggregation": dict(values=[*GOOD_VALUES, ("THB05", "citizenship=KZ", 3)]),
    "value_not_negative": dict(values=[*GOOD_VALUES[:-1], ("THB05", "total", -4)]),
    "indicator_unique": dict(values=[*GOOD_VALUES, ("THB01", "total", 100)]),
    "known_measure": dict(measures=[*GOOD_MEASURES, ("9.9.9", "implemented")]),
    "known_measure_status": dict(tamper=lambda r: setattr(r, "measures", r.measures.assign(status="done"))),
    "measure_unique": dict(measures=[*GOOD_MEASURES, ("1.1.1", "implemented")]),
}


@pytest.mark.parametrize("rule", sorted(BLOCKING_CASES))
def test_each_blocking_rule_refuses_a_report_that_breaks_it(tmp_path, rule):
    """The reader already refuses an empty authority and an unknown status: those two reports
    are changed after reading, as a second line behind the reader."""
    crafted = dict(BLOCKING_CASES[rule])
    tamper = crafted.pop("tamper", None)
    crafted = {k: v() if callable(v) else v for k, v in crafted.items()}
    parsed = report(tmp_path, **crafted)
    if tamper:
        tamper(parsed)
    findings = blocking(parsed)
    assert rule in {f.rule for f in findings}, [f.describe() for f in findings]
    assert all(f.severity == "error" and f.reason_en and f.reason_ru for f in findings)


@pytest.mark.parametrize(
    ("name", "state_column", "code_column"),
    [("r.csv", "state", "code"), ("r.json", "state", "indicator_code"),
     ("r.xlsx", "Государство / State", "Код показателя / Indicator code")],
)  # fmt: skip
def test_findings_name_columns_as_the_senders_file_does(tmp_path, name, state_column, code_column):
    findings = blocking(report(tmp_path, state="XX", values=[*GOOD_VALUES, ("THB99", "total", 3)], name=name))
    columns = {f.rule: f.column for f in findings}
    assert columns["known_state"] == state_column and columns["known_indicator"] == code_column
    assert "state_code" not in columns.values()


def test_a_blocking_finding_names_the_row_column_and_value_to_fix(tmp_path):
    (finding,) = blocking(report(tmp_path, values=[*GOOD_VALUES[:-1], ("THB05", "total", -4)]))
    assert (finding.rule, finding.column, finding.value) == ("value_not_negative", "value", -4)
    assert finding.source_row == len(GOOD_VALUES)  # the last row of the JSON array
    assert finding.describe().startswith(f"row {finding.source_row}, column 'value': value must be")


def test_reports_of_one_programme_and_year_are_judged_each_on_its_own_rows(tmp_path):
    good = report(tmp_path, name="good.json")
    bad = report(tmp_path, state="UZ", values=[*GOOD_VALUES, ("THB99", "total", 3)], name="bad.json")
    found = validation.validate_reports([good, bad], current_year=THIS_YEAR)
    assert found[str(good.source_file)] == []
    assert [f.rule for f in found[str(bad.source_file)]] == ["known_indicator"]


def _negative_events(count: int) -> list[tuple]:
    return [*GOOD_VALUES, *(("TRN01", f"event=EVT-2014-{n:05d}", -1) for n in range(count))]


def test_a_rule_broken_on_many_rows_lists_the_first_and_counts_the_rest(tmp_path):
    """A hostile report of a million bad values took minutes and gigabytes to refuse when every
    row was listed: a rule lists at most MAX_PROBLEMS rows of a file, as the reader does."""
    findings = blocking(report(tmp_path, values=_negative_events(MAX_PROBLEMS + 30)))
    listed, more = findings[:-1], findings[-1]
    assert {f.rule for f in findings} == {"value_not_negative"}
    first_event_row = len(GOOD_VALUES) + 1
    assert [f.source_row for f in listed] == list(range(first_event_row, first_event_row + MAX_PROBLEMS))
    assert (more.source_row, more.column, more.severity) == (None, "value", "error")
    assert more.reason_en == "and 30 more rows with the same problem as those above"
    assert more.reason_ru == "и ещё 30 строк(и) с той же проблемой, что и выше"


def test_each_report_of_a_batch_gets_its_own_rows_when_another_breaks_a_rule_on_many(tmp_path):
    many = report(tmp_path, values=_negative_events(MAX_PROBLEMS + 5), name="many.json")
    few = report(tmp_path, state="UZ", values=_negative_events(2), name="few.json")
    good = report(tmp_path, state="KG", name="good.json")
    found = validation.validate_reports([many, few, good], current_year=THIS_YEAR)
    assert len(found[str(many.source_file)]) == MAX_PROBLEMS + 1
    assert [f.source_row for f in found[str(few.source_file)]] == [len(GOOD_VALUES) + 1, len(GOOD_VALUES) + 2]
    assert found[str(good.source_file)] == []


def _replace(values, code, disaggregation, value):
    return [(c, d, value if (c, d) == (code, disaggregation) else v) for c, d, v in values]


WARNING_CASES = {
    "sex_parts_sum_to_total": (
        dict(values=_replace(GOOD_VALUES, "THB02", "sex=male", 10)),
        {"indicator_code": "THB02", "indicators": "THB02", "total": 50, "sex_sum": 40},
    ),
    "age_parts_not_above_total": (
        dict(values=_replace(GOOD_VALUES, "THB02", "age_group=18+", 45)),
        {"indicator_code": "THB02", "indicators": "THB02", "total": 50, "age_sum": 55},
    ),
    "convicted_not_above_prosecuted": (
        dict(values=_replace(GOOD_VALUES, "THB05", "total", 41)),
        {"indicators": "THB04|THB05", "prosecuted": 40, "convicted": 41},
    ),
    "implemented_not_above_due": (  # 1.1.1 is not due in 2017: five implemented, four due
        dict(year=2017, measures=[(m, "implemented") for m in ("1.1.1", "1.1.2", "2.1.1", "2.1.2", "3.1.1")]),
        {"indicators": "PRG01|PRG02", "basis": "measure statuses / registry", "implemented": 5, "due": 4},
    ),
}


@pytest.mark.parametrize("rule", sorted(WARNING_CASES))
def test_each_warning_rule_fires_once_on_a_report_that_trips_it(tmp_path, rule):
    crafted, involved = WARNING_CASES[rule]
    parsed = report(tmp_path, **crafted)
    assert blocking(parsed) == []  # a warning never refuses the file
    (finding,) = warnings(parsed)
    assert (finding.rule, finding.severity, finding.involved) == (rule, "warning", involved)
    assert finding.suite in validation.WARNING_SUITES and finding.reason_en and finding.reason_ru


def test_a_part_not_reported_is_no_contradiction(tmp_path):
    parsed = report(tmp_path, values=_replace(GOOD_VALUES, "THB02", "sex=male", None))
    assert blocking(parsed) == [] and warnings(parsed) == []


def test_a_warning_points_at_the_total_row_to_review(tmp_path):
    parsed = report(tmp_path, values=_replace(GOOD_VALUES, "THB05", "total", 41))
    (finding,) = warnings(parsed)
    assert finding.source_row == GOOD_VALUES.index(("THB05", "total", 30)) + 1
    assert finding.where() == f"row {finding.source_row}" and finding.column == ""


WARNING_TEXTS = {
    "sex_parts_sum_to_total": (
        "victims identified (THB02): the parts by sex add up to 40, not to the total 50",
        "выявлено потерпевших от торговли людьми (THB02): сумма значений в разбивке по полу 40 "
        "не равна итогу 50",
    ),
    "age_parts_not_above_total": (
        "victims identified (THB02): the parts by age group add up to 55, more than the total 50",
        "выявлено потерпевших от торговли людьми (THB02): сумма значений в разбивке по возрастным группам 55 "
        "больше итога 50",
    ),
    "convicted_not_above_prosecuted": (
        "persons convicted 41 exceeds persons brought to justice (prosecuted) 40",
        "осуждено 41 — больше, чем привлечено к уголовной ответственности 40",
    ),
    "implemented_not_above_due": (
        "measures implemented 5 exceeds measures due in the year 4 (measures reported implemented against "
        "the programme's registry)",
        "выполнено мероприятий 5 — больше, чем предусмотрено на год 4 (мероприятия с отметкой о выполнении "
        "против перечня мероприятий программы)",
    ),
}


@pytest.mark.parametrize("rule", sorted(WARNING_CASES))
def test_a_warning_says_its_values_and_their_relation_wholly_in_each_language(tmp_path, rule):
    """The catalogue's templates filled in: the indicator by its label, the values compared,
    the relation as it is ("convicted 41 exceeds prosecuted 40", never "(41 <= 40)")."""
    crafted, _ = WARNING_CASES[rule]
    (finding,) = warnings(report(tmp_path, **crafted))
    assert (finding.reason_en, finding.reason_ru) == WARNING_TEXTS[rule]


# -- Data Docs: each build renders the validations of this run only (rendering every stored
# result at each ingest grew with the history of loads: 78 s per run at 3,500 results).


@pytest.fixture
def docs_site(tmp_path, monkeypatch):
    root = tmp_path / "gx"
    shutil.copytree(EXPECTATIONS_DIR, root, ignore=shutil.ignore_patterns("uncommitted"))
    ctx = suites.context(root)
    monkeypatch.setattr(validation, "context", lambda: ctx)
    monkeypatch.setattr(data_docs, "context", lambda: ctx)
    site = root / "uncommitted" / "data_docs" / "local_site"
    monkeypatch.setattr(data_docs, "DATA_DOCS_SITE", site)
    monkeypatch.setattr(data_docs, "unrendered", [])
    return site


def validation_pages(site) -> set[str]:
    return {str(p.relative_to(site)) for p in (site / "validations").rglob("*.html")}


def validate(tmp_path, name: str) -> None:
    parsed = report(tmp_path, name=name)
    assert validation.validate_reports([parsed], current_year=THIS_YEAR)[str(parsed.source_file)] == []
    validation.validate_warnings([parsed])


def test_each_build_renders_only_the_new_validations(tmp_path, docs_site):
    validate(tmp_path, "first.json")
    data_docs.build_data_docs()  # no site yet: built whole, suite pages included
    first = validation_pages(docs_site)
    assert len(first) >= 3, first  # the three blocking suites at least
    assert list((docs_site / "expectations").rglob("*.html")), "suite pages are rendered on the first build"

    removed = sorted(first)[0]
    (docs_site / removed).unlink()
    validate(tmp_path, "second.json")
    data_docs.build_data_docs()
    second = validation_pages(docs_site)
    new = second - first
    assert len(new) >= 3, second
    assert removed not in second, "an earlier validation was rendered again"
    index = (docs_site / "index.html").read_text(encoding="utf-8")
    assert all(Path(page).parts[-2] in index for page in new)  # linked by their run time

    stamp = (docs_site / "index.html").stat().st_mtime_ns
    data_docs.build_data_docs()  # nothing validated since: nothing to render
    assert (docs_site / "index.html").stat().st_mtime_ns == stamp


def test_the_store_keeps_what_the_index_lists_and_archives_the_rest(tmp_path, monkeypatch):
    """GX lists and parses every stored result at each Data Docs build (8 s per ingest at
    8,000 results): the store is bounded by the index's ``validation_results_limit``."""
    root = tmp_path / "gx"
    shutil.copytree(EXPECTATIONS_DIR, root, ignore=shutil.ignore_patterns("uncommitted"))
    config = root / "great_expectations.yml"
    text = config.read_text(encoding="utf-8")
    assert "validation_results_limit: 100" in text
    limited = text.replace("validation_results_limit: 100", "validation_results_limit: 3")
    config.write_text(limited, encoding="utf-8")
    ctx = suites.context(root)
    monkeypatch.setattr(validation, "context", lambda: ctx)
    monkeypatch.setattr(data_docs, "context", lambda: ctx)
    site = root / "uncommitted" / "data_docs" / "local_site"
    monkeypatch.setattr(data_docs, "DATA_DOCS_SITE", site)
    monkeypatch.setattr(data_docs, "unrendered", [])
    store = root / "uncommitted" / "validations"

    validate(tmp_path, "first.json")
    data_docs.build_data_docs()
    validate(tmp_path, "second.json")
    data_docs.build_data_docs()

    kept = sorted(store.rglob("*.json"))
    archived = sorted((root / "uncommitted" / "validations_archive").rglob("*.json"))
    assert len(kept) == 3
    assert len(archived) >= 5, archived  # at least 4 suites per validation, 2 validations
    newest = max(p.stat().st_mtime for p in kept)
    assert all(p.stat().st_mtime <= newest for p in archived)
    pages = validation_pages(site)
    assert {str(p.relative_to(store).with_suffix(".html")) for p in kept} <= {
        str(Path(page).relative_to("validations")) for page in pages
    }, "what the store keeps is rendered"
    assert not [p for p in store.rglob("*") if p.is_dir() and not any(p.iterdir())], "no empty run folders"
