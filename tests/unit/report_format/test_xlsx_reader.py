"""The XLSX reader: workbooks as a ministry might type them, in tmp_path, read by parse_report.
(Hazards a workbook can hold, before and while reading, are in test_file_safety.py.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import ReportHeader
from report_files import HEADER_ROWS, refused, write_xlsx, xlsx_report


@pytest.mark.parametrize(
    "heading",
    [
        ("Код показателя", "Разбивка", "Значение"),
        ("Indicator code", "Disaggregation", "Value"),
        ("Код показателя / Indicator code", "Разбивка / Disaggregation", "Значение / Value"),
        ("  INDICATOR   code ", "disaggregation  ", " значение"),
        ("Indicator code/Код показателя", "РАЗБИВКА|Disaggregation", "value"),
    ],
)
def test_xlsx_headings_in_russian_english_bilingual_any_case(tmp_path: Path, heading: tuple) -> None:
    report = parse_report(xlsx_report(tmp_path / "r.xlsx", [("thb01", "", 5)], heading))
    assert report.indicator_values[["indicator_code", "disaggregation", "value"]].values.tolist() == [
        ["THB01", "total", 5]
    ]


def test_xlsx_english_sheet_and_header_labels_and_row_numbers(tmp_path: Path) -> None:
    header_rows = [("Field", "Value"), (" STATE ", " kz "), ("authority", "MVD"), ("Programme", "thb"),
                   ("reporting_year", "2014"), ("Submission date", "14.02.2015"),
                   ("version", "1")]  # fmt: skip
    path = write_xlsx(
        tmp_path / "r.xlsx",
        {
            "Report": header_rows,
            "INDICATORS": [("Indicator code", "Value"), (), ("THB01", 3), (None, None), ("THB04", 2)],
            "Measures": [("Measure code", "Status", "Narrative"), ("1.1.1", "Выполнено", "ok")],
        },
    )
    report = parse_report(path)
    assert report.header == ReportHeader("KZ", "MVD", "THB", 2014, dt.date(2015, 2, 14), 1)
    assert report.indicator_values.source_row.tolist() == [3, 5]  # real spreadsheet rows, empty rows skipped
    assert set(report.indicator_values.source_sheet) == {"INDICATORS"}
    assert report.measures.status.tolist() == ["implemented"]


def test_not_reported_is_never_zero(tmp_path: Path) -> None:
    raw = ["", None, "not reported", "  Не   представлено ", "Н/Д", "NOT REPORTED", 0, "0"]
    path = xlsx_report(tmp_path / "r.xlsx", [("THB01", f"article=s{i}", v) for i, v in enumerate(raw)])
    values = parse_report(path).indicator_values
    assert values.value.isna().tolist() == [True] * 6 + [False] * 2
    assert values.is_reported.tolist() == [False] * 6 + [True] * 2
    assert values.value.iloc[-2:].tolist() == [0, 0]


def test_xlsx_unknown_column_is_refused_with_its_name(tmp_path: Path) -> None:
    path = xlsx_report(
        tmp_path / "r.xlsx", [("THB01", "", 1, "x")], ("Код показателя", "Разбивка", "Значение", "Цена")
    )
    error = refused(path)
    assert (error.sheet, error.row, error.column) == ("Показатели", 1, "D") and "'Цена'" in str(error)


def test_status_in_russian_or_english_and_bad_status_refused(tmp_path: Path) -> None:
    statuses = [
        "Выполнено",
        " не  выполнено ",
        "ПЕРЕНЕСЕНО",
        "in progress",
        "выполнено / implemented",
        "not_implemented",
    ]
    rows = [("Код мероприятия", "Статус"), *((f"1.1.{i}", s) for i, s in enumerate(statuses))]
    path = write_xlsx(tmp_path / "r.xlsx", {"Отчёт": HEADER_ROWS, "Показатели": [], "Мероприятия": rows})
    assert parse_report(path).measures.status.tolist() == [
        "implemented", "not_implemented", "postponed", "in_progress", "implemented", "not_implemented",
    ]  # fmt: skip

    rows.append(("9.9.9", "done"))
    error = refused(
        write_xlsx(tmp_path / "r.xlsx", {"Отчёт": HEADER_ROWS, "Показатели": [], "Мероприятия": rows})
    )
    assert (error.sheet, error.row) == ("Мероприятия", len(rows)) and "'done'" in str(error)


def test_disaggregation_syntax(tmp_path: Path) -> None:
    path = xlsx_report(
        tmp_path / "r.xlsx", [("THB02", None, 1), ("THB02", " Sex = female ", 1), ("THB02", "TOTAL", 1)]
    )
    assert parse_report(path).indicator_values.disaggregation.tolist() == ["total", "sex=female", "total"]
    error = refused(xlsx_report(tmp_path / "r.xlsx", [("THB02", "female", 1)]))
    assert error.row == 2 and "dimension=value" in str(error)
