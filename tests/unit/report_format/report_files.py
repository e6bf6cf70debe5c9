"""Shared by the report_format tests: a sample report, and files as a ministry might make them.

Imported by the test modules next to it (``from report_files import ...``), as pytest puts
their folder on ``sys.path``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import ReportFormatError, ReportHeader

HEADER = ReportHeader("KZ", "МВД Республики Казахстан (SYNTHETIC)", "THB", 2014, dt.date(2015, 2, 14), 1)
VALUES = [
    {"indicator_code": "THB01", "disaggregation": "total", "value": 1234, "comment": "=1+2 stays text"},
    {"indicator_code": "THB02", "disaggregation": "total", "value": 0, "comment": ""},
    {"indicator_code": "THB02", "disaggregation": "sex=female", "value": None, "comment": "-нет данных"},
    {
        "indicator_code": "CR03",
        "disaggregation": "operation=PRV-2014-01",
        "value": 1,
        "comment": "@x, «кавычки»",
    },
]
MEASURES = [
    {"measure_code": "1.1.1", "status": "implemented", "narrative": "Выполнено в срок."},
    {"measure_code": "2.1.1", "status": "postponed", "narrative": "+перенесено"},
]

# The header sheet of a workbook typed by hand: Russian labels, a date cell.
HEADER_ROWS = [
    ("Государство", "KZ"),
    ("Компетентный орган", "МВД"),
    ("Программа", "THB"),
    ("Отчётный год", 2014),
    ("Дата представления", dt.datetime(2015, 2, 14)),
    ("Версия отчёта", 1),
]


def write_xlsx(path: Path, sheets: dict[str, list[tuple]], setup=None) -> Path:
    """A workbook as a ministry might type it: sheet name -> rows (None = empty cell);
    ``setup(workbook)`` may merge, hide or type cells before saving."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(row)
    if setup:
        setup(workbook)
    workbook.save(path)
    return path


def xlsx_report(path: Path, values: list[tuple], heading=("Код показателя", "Разбивка", "Значение")) -> Path:
    """A workbook with HEADER_ROWS and an indicators sheet of ``values`` under ``heading``."""
    return write_xlsx(path, {"Отчёт": HEADER_ROWS, "Показатели": [heading, *values]})


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    """Lines joined by "\\n", with a final line break; characters the encoding lacks become "?"."""
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding, "replace"))
    return path


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts, pandas NA as None."""
    return [{k: None if v is pd.NA else v for k, v in row.items()} for row in frame.to_dict("records")]


def refused(path: Path) -> ReportFormatError:
    """The ReportFormatError parse_report raises for the file (fails the test if it reads)."""
    with pytest.raises(ReportFormatError) as caught:
        parse_report(path)
    return caught.value
