"""write_report and write_blank_template: real workbooks in tmp_path, opened with openpyxl.
(That what is written reads back unchanged is in test_reader.py.)"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from programme_monitoring.reference import load_reference
from programme_monitoring.report_format.writer import write_blank_template, write_report
from report_files import HEADER, MEASURES, VALUES


def test_xlsx_text_that_looks_like_a_formula_is_written_as_text(tmp_path: Path) -> None:
    path = write_report(HEADER, VALUES, MEASURES, tmp_path / "r.xlsx", "xlsx")
    ws = openpyxl.load_workbook(path)["Показатели | Indicators"]
    assert ws["E2"].value == "=1+2 stays text" and ws["E2"].data_type == "s"
    assert "<f>" not in zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()


def test_xlsx_is_reproducible(tmp_path: Path) -> None:
    a = write_report(HEADER, VALUES, MEASURES, tmp_path / "a.xlsx", "xlsx")
    b = write_report(HEADER, VALUES, MEASURES, tmp_path / "b.xlsx", "xlsx")
    assert a.read_bytes() == b.read_bytes()


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format 'xls': use one of xlsx, csv, json"):
        write_report(HEADER, VALUES, MEASURES, tmp_path / "r.xls", "xls")


def test_blank_template_lists_the_reportable_indicators_and_due_measures(tmp_path: Path) -> None:
    reference = load_reference()
    for programme, year in (("THB", 2014), ("CR", 2014), ("IM", 2016)):
        path = write_blank_template(programme, year, tmp_path / f"{programme}_{year}.xlsx")
        workbook = openpyxl.load_workbook(path)
        assert workbook.sheetnames[:3] == [
            "Отчёт | Report",
            "Показатели | Indicators",
            "Мероприятия | Measures",
        ]
        rows = list(workbook["Показатели | Indicators"].iter_rows(min_row=2, values_only=True))
        assert {row[0] for row in rows} == reference.reportable_indicators(programme, year)
        assert all(row[2] == "total" and row[3] is None for row in rows)
        measures = workbook["Мероприятия | Measures"]
        assert {row[0] for row in measures.iter_rows(min_row=2, values_only=True)} == reference.measures_due(
            programme, year
        )
        assert measures.data_validations.dataValidation, "status pick list"
        notes = " ".join(str(c) for (c,) in workbook["Инструкция | Instructions"].iter_rows(values_only=True))
        assert "ILLUSTRATIVE" in notes
        header = {row[0]: row[1] for row in workbook["Отчёт | Report"].iter_rows(values_only=True)}
        assert (
            header["Программа / Programme"] == programme and header["Отчётный год / Reporting year"] == year
        )
    cr = openpyxl.load_workbook(tmp_path / "CR_2014.xlsx")["Показатели | Indicators"]
    assert "IM01" in [row[0] for row in cr.iter_rows(values_only=True)]  # IM01 was reported under CR in 2014


def test_blank_template_of_an_unknown_programme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown programme 'XX'"):
        write_blank_template("xx", 2014, tmp_path / "x.xlsx")
