"""The XLSX annex from a hand-made edition: mart rows as they are, formulas never live."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook
from programme_monitoring.publishing.council.annex import write_annex
from programme_monitoring.report_format.file_safety import FORMULA_TRIGGERS


def _write(edition):
    target = edition.output_dir / "annex.xlsx"
    write_annex(edition, target)
    return load_workbook(target)


def test_every_section_is_a_sheet_of_its_mart_rows(edition):
    workbook = _write(edition)
    assert workbook.sheetnames == ["edition", *edition.sections, "report_versions", "revisions"]
    for key, section in edition.sections.items():
        cells = list(workbook[key].iter_rows(values_only=True))
        assert list(cells[0]) == section.columns, key
        assert len(cells) - 1 == len(section.rows), key
    completeness = list(workbook["completeness"].iter_rows(values_only=True))
    assert completeness[1][5] == dt.datetime(2015, 4, 1)  # a date stays a date
    implementation = list(workbook["implementation"].iter_rows(values_only=True))
    assert implementation[1][8] == 0.6  # a rate stays a number
    about = dict(workbook["edition"].iter_rows(values_only=True))
    assert about["reporting_year"] == 2014 and about["sql:headline"].startswith("select")


def test_formula_like_text_is_stored_as_text(edition):
    section = edition.sections["indicators"]
    texts = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2", "\tcmd", "'=1+2", "plain", "a=b"]
    original = section.rows
    section.rows = [("RU", "THB", 2014, "THB01", -5, True, text, "r", "f.xlsx", 1) for text in texts]
    try:
        sheet = _write(edition)["indicators"]
    finally:
        section.rows = original
    comments = [sheet.cell(row, 7) for row in range(2, 2 + len(texts))]
    assert [c.value for c in comments] == texts
    escaped = [c.quotePrefix for c in comments]
    assert escaped == [True] * 6 + [False, False]
    assert all(c.data_type == "s" for c in comments)
    assert {"=", "+", "-", "@", "\t"} <= set(FORMULA_TRIGGERS)  # the one rule the annex follows
    assert sheet.cell(2, 5).value == -5 and sheet.cell(2, 5).data_type == "n"  # numbers stay numbers


def test_revisions_sheet_keeps_keys_as_json(edition):
    edition.revisions = [
        {"table": "indicators", "key": {"state_code": "RU", "indicator_code": "THB01"}}
        | {"column": "value", "previous": None, "current": 2000}
    ]
    rows = list(_write(edition)["revisions"].iter_rows(values_only=True))
    assert rows == [
        ("table", "key", "column", "previous", "current"),
        ("indicators", '{"state_code": "RU", "indicator_code": "THB01"}', "value", None, 2000),
    ]
