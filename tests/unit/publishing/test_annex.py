"""The XLSX annex from a hand-made edition: mart rows as they are, formulas never live, and
laid out as a statistician expects (bilingual names, formats, widths, frozen and filtered headers)."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from programme_monitoring.publishing.council.annex import CELL_LIMIT, SHEETS, write_annex
from programme_monitoring.report_format.file_safety import FORMULA_TRIGGERS


def _write(edition):
    target = edition.output_dir / "annex.xlsx"
    write_annex(edition, target)
    return load_workbook(target)


def _column(sheet, header_part: str) -> int:
    for cell in sheet[1]:
        if cell.value and header_part in cell.value:
            return cell.column
    raise AssertionError(f"no column {header_part!r} in {sheet.title}")


def test_every_section_is_a_sheet_of_its_mart_rows(edition):
    workbook = _write(edition)
    assert workbook.sheetnames == [
        SHEETS[k] for k in ("edition", *edition.sections, "report_versions", "revisions")
    ]
    for key, section in edition.sections.items():
        cells = list(workbook[SHEETS[key]].iter_rows(values_only=True))
        assert len(cells[0]) == len(section.columns), key
        assert len(cells) - 1 == len(section.rows), key
    completeness = workbook[SHEETS["completeness"]]
    assert completeness.cell(2, _column(completeness, "Report deadline")).value == dt.datetime(2015, 4, 1)
    implementation = workbook[SHEETS["implementation"]]
    assert implementation.cell(2, _column(implementation, "Implementation rate")).value == 0.6


def test_names_are_in_russian_and_english(edition):
    workbook = _write(edition)
    for name in workbook.sheetnames:
        russian, english = name.split(" · ")
        assert any("а" <= ch <= "я" for ch in russian.lower()) and english.isascii(), name
        assert "_" not in name and len(name) <= 31
    header = [c.value for c in workbook[SHEETS["indicators"]][1]]
    assert header[:3] == ["Государство\nState", "Программа\nProgramme", "Отчётный год\nReporting year"]
    assert all("\n" in h and "_" not in h for h in header), header
    revisions = [c.value for c in workbook[SHEETS["revisions"]][1]]
    assert revisions[0] == "Таблица\nTable"


def test_formats_widths_frozen_headers_and_filters(edition):
    workbook = _write(edition)
    implementation = workbook[SHEETS["implementation"]]
    rate = implementation.cell(2, _column(implementation, "Implementation rate"))
    assert rate.number_format == "0.0%"
    assert implementation.cell(2, _column(implementation, "Measures due")).number_format == "#,##0"
    assert implementation.cell(2, _column(implementation, "Reporting year")).number_format == "0"  # 2014
    completeness = workbook[SHEETS["completeness"]]
    assert completeness.cell(2, _column(completeness, "Report deadline")).is_date
    for name in workbook.sheetnames[1:]:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref == sheet.dimensions, name
        widths = [sheet.column_dimensions[c].width for c in "ABC"]
        assert all(w and 8 <= w <= 60 for w in widths), (name, widths)
        assert sheet.row_dimensions[1].height >= 26, name  # two languages: two lines at least
    about = workbook[SHEETS["edition"]]
    rows = {row[0].value.split("\n")[1]: row[1] for row in about.iter_rows()}
    assert rows["Data as of (UTC)"].value == dt.datetime(2015, 4, 2, 9, 30)  # a date, not text
    assert rows["Data as of (UTC)"].is_date
    assert rows["Reporting year"].value == 2014 and rows["Reporting year"].number_format == "0"
    assert rows["Synthetic data"].value == "да / yes"
    assert rows["Texts cut"].value == "нет / none"


def test_text_longer_than_a_cell_is_cut_and_said(edition):
    section = edition.sections["indicators"]
    original = section.rows
    section.rows = [("RU", "THB", 2014, "THB01", 1, True, "x" * 40_000, "r", "f.xlsx", 1)]
    try:
        workbook = _write(edition)
    finally:
        section.rows = original
    comment = workbook[SHEETS["indicators"]].cell(2, 7).value
    assert len(comment) == CELL_LIMIT
    assert comment.endswith("[обрезано / truncated: 40000 символов / characters]")
    about = {row[0].value.split("\n")[1]: row[1].value for row in workbook[SHEETS["edition"]].iter_rows()}
    assert about["Texts cut"] == f"{SHEETS['indicators']}!G2 (40,000)"


def test_formula_like_text_is_stored_as_text(edition):
    section = edition.sections["indicators"]
    texts = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2", "\tcmd", "'=1+2", "plain", "a=b"]
    original = section.rows
    section.rows = [("RU", "THB", 2014, "THB01", -5, True, text, "r", "f.xlsx", 1) for text in texts]
    try:
        sheet = _write(edition)[SHEETS["indicators"]]
    finally:
        section.rows = original
    comments = [sheet.cell(row, 7) for row in range(2, 2 + len(texts))]
    assert [c.value for c in comments] == texts
    escaped = [c.quotePrefix for c in comments]
    assert escaped == [True] * 6 + [False, False]
    assert all(c.data_type == "s" for c in comments)
    assert {"=", "+", "-", "@", "\t"} <= set(FORMULA_TRIGGERS)  # the one rule the annex follows
    assert sheet.cell(2, 5).value == -5 and sheet.cell(2, 5).data_type == "n"  # numbers stay numbers


@pytest.mark.parametrize("previous", [None, 2700])
def test_revisions_sheet_keeps_keys_as_json(edition, previous):
    edition.revisions = [
        {"table": "indicators", "key": {"state_code": "RU", "indicator_code": "THB01"}}
        | {"column": "value", "previous": previous, "current": 2000}
    ]
    rows = list(_write(edition)[SHEETS["revisions"]].iter_rows(values_only=True))
    assert rows[1] == (
        "indicators",
        '{"state_code": "RU", "indicator_code": "THB01"}',
        "value",
        previous,
        2000,
    )
