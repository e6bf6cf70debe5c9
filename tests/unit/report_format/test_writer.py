"""write_report: real workbooks in tmp_path, opened with openpyxl.
(That what is written reads back unchanged is in test_reader.py; the blank template's tests
are in test_blank_template.py.)"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from programme_monitoring.report_format.writer import write_report
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
