"""Report template v1: real files in tmp_path, parsed back with parse_report."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from programme_monitoring.reference import load_reference
from programme_monitoring.report_format.records import ReportFormatError, ReportHeader
from programme_monitoring.report_format.template import (
    CSV_COLUMNS,
    FORMATS,
    parse_count,
    parse_report,
    write_blank_template,
    write_report,
)

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
DATA_COLUMNS = ["indicator_code", "disaggregation", "value", "is_reported", "comment"]
CSV_HEADING = ",".join(CSV_COLUMNS)
CSV_HEAD = "KZ,МВД,THB,2014,2015-02-14,1"


def write_xlsx(path: Path, sheets: dict[str, list[tuple]]) -> Path:
    """A workbook as a ministry might type it: sheet name -> rows (None = empty cell)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(row)
    workbook.save(path)
    return path


HEADER_ROWS = [
    ("Государство", "KZ"),
    ("Компетентный орган", "МВД"),
    ("Программа", "THB"),
    ("Отчётный год", 2014),
    ("Дата представления", dt.datetime(2015, 2, 14)),
    ("Версия отчёта", 1),
]


def xlsx_report(path: Path, values: list[tuple], heading=("Код показателя", "Разбивка", "Значение")) -> Path:
    return write_xlsx(path, {"Отчёт": HEADER_ROWS, "Показатели": [heading, *values]})


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts, pandas NA as None."""
    return [{k: None if v is pd.NA else v for k, v in row.items()} for row in frame.to_dict("records")]


def expect_error(path: Path) -> ReportFormatError:
    with pytest.raises(ReportFormatError) as caught:
        parse_report(path)
    return caught.value


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(tmp_path: Path, fmt: str) -> None:
    report = parse_report(write_report(HEADER, VALUES, MEASURES, tmp_path / f"r.{fmt}", fmt))
    assert report.header == HEADER
    assert report.file_format == fmt
    values = report.indicator_values
    assert str(values["value"].dtype) == "Int64" and values["is_reported"].dtype == bool
    expected = [{**row, "is_reported": row["value"] is not None} for row in VALUES]
    assert records(values[DATA_COLUMNS]) == expected
    assert report.measures[["measure_code", "status", "narrative"]].to_dict("records") == MEASURES


def test_round_trip_through_every_format_from_parsed_tables(tmp_path: Path) -> None:
    first = parse_report(write_report(HEADER, VALUES, MEASURES, tmp_path / "a.xlsx", "xlsx"))
    report = first
    for fmt in ("csv", "json", "xlsx"):
        report = parse_report(
            write_report(report.header, report.indicator_values, report.measures, tmp_path / f"b.{fmt}", fmt)
        )
    assert report.header == first.header
    assert report.indicator_values.equals(first.indicator_values)
    assert report.measures.equals(first.measures)


def test_xlsx_text_that_looks_like_a_formula_is_written_as_text(tmp_path: Path) -> None:
    path = write_report(HEADER, VALUES, MEASURES, tmp_path / "r.xlsx", "xlsx")
    ws = openpyxl.load_workbook(path)["Показатели | Indicators"]
    assert ws["E2"].value == "=1+2 stays text" and ws["E2"].data_type == "s"
    assert "<f>" not in zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml").decode()


def test_xlsx_is_reproducible(tmp_path: Path) -> None:
    a = write_report(HEADER, VALUES, MEASURES, tmp_path / "a.xlsx", "xlsx")
    b = write_report(HEADER, VALUES, MEASURES, tmp_path / "b.xlsx", "xlsx")
    assert a.read_bytes() == b.read_bytes()


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
    path = xlsx_report(tmp_path / "r.xlsx", [("THB01", f"sex=s{i}", v) for i, v in enumerate(raw)])
    values = parse_report(path).indicator_values
    assert values.value.isna().tolist() == [True] * 6 + [False] * 2
    assert values.is_reported.tolist() == [False] * 6 + [True] * 2
    assert values.value.iloc[-2:].tolist() == [0, 0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1 234", 1234), ("1,234", 1234), ("1\u00a0234", 1234), ("1\u202f234", 1234), (" 12 345 678 ", 12345678),
     (1234.0, 1234), ("-5", -5), ("0", 0), (7, 7)],
)  # fmt: skip
def test_whole_numbers_with_thousands_separators(raw: object, expected: int) -> None:
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1.5", 1.5, "1,5", "1,23", "12 34", "1 234,567", True, "5 штук"])
def test_values_that_are_not_whole_numbers_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_count(raw)


def test_negative_values_and_unknown_codes_are_left_to_the_content_checks(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [CSV_HEADING, f"{CSV_HEAD},indicator,XYZ99,,-3,,"])
    values = parse_report(path).indicator_values
    assert values[["indicator_code", "value"]].values.tolist() == [["XYZ99", -3]]


def test_csv_with_utf8_bom(tmp_path: Path) -> None:
    lines = [
        CSV_HEADING,
        f'{CSV_HEAD},indicator,THB01,,"1 234",,Комментарий',
        f"{CSV_HEAD},measure,1.1.1,,,выполняется,идёт",
    ]
    report = parse_report(write_csv(tmp_path / "r.csv", lines, encoding="utf-8-sig"))
    assert report.header.state_code == "KZ"
    assert report.indicator_values.value.tolist() == [1234]
    assert report.indicator_values.source_row.tolist() == [2]
    assert report.measures[["measure_code", "status", "narrative", "source_row"]].values.tolist() == [
        ["1.1.1", "in_progress", "идёт", 3]
    ]


def test_csv_unknown_column_is_refused_with_its_name(tmp_path: Path) -> None:
    error = expect_error(
        write_csv(tmp_path / "r.csv", [CSV_HEADING.replace("value", "valeu"), f"{CSV_HEAD},x"])
    )
    assert error.column == "valeu" and error.row == 1 and "valeu" in str(error) and "r.csv" in str(error)


def test_xlsx_unknown_column_is_refused_with_its_name(tmp_path: Path) -> None:
    path = xlsx_report(
        tmp_path / "r.xlsx", [("THB01", "", 1, "x")], ("Код показателя", "Разбивка", "Значение", "Цена")
    )
    error = expect_error(path)
    assert (error.sheet, error.row, error.column) == ("Показатели", 1, "D") and "'Цена'" in str(error)


def test_csv_header_fields_must_be_the_same_on_every_row(tmp_path: Path) -> None:
    lines = [
        CSV_HEADING,
        f"{CSV_HEAD},indicator,THB01,,1,,",
        "KZ,МВД,THB,2015,2015-02-14,1,indicator,THB04,,1,,",
    ]
    error = expect_error(write_csv(tmp_path / "r.csv", lines))
    assert (error.row, error.column) == (3, "reporting_year")


def test_missing_header_field_is_refused(tmp_path: Path) -> None:
    rows = [row for row in HEADER_ROWS if row[0] != "Отчётный год"]
    error = expect_error(
        write_xlsx(
            tmp_path / "r.xlsx", {"Отчёт": rows, "Показатели": [("Код показателя", "Значение"), ("THB01", 1)]}
        )
    )
    assert "Reporting year" in str(error) and error.sheet == "Отчёт"

    error = expect_error(write_csv(tmp_path / "r.csv", [CSV_HEADING.replace("authority,", ""), "KZ,THB"]))
    assert "authority" in str(error)

    doc = {"template_version": 1, "header": {"state": "KZ", "authority": "МВД", "programme": "THB",
           "reporting_year": 2014, "submission_date": "2015-02-14"}, "indicator_values": []}  # fmt: skip
    (tmp_path / "r.json").write_text(json.dumps(doc), encoding="utf-8")
    assert "'version' is missing" in str(expect_error(tmp_path / "r.json"))


def test_bad_date_is_refused(tmp_path: Path) -> None:
    error = expect_error(
        write_csv(tmp_path / "r.csv", [CSV_HEADING, "KZ,МВД,THB,2014,31.02.2015,1,indicator,THB01,,1,,"])
    )
    assert (error.row, error.column) == (2, "submission_date")


def test_non_numeric_value_is_refused_naming_the_row(tmp_path: Path) -> None:
    error = expect_error(xlsx_report(tmp_path / "r.xlsx", [("THB01", "", 1), ("THB04", "", "abc")]))
    assert (error.sheet, error.row) == ("Показатели", 3) and "'abc'" in str(error)

    lines = [CSV_HEADING, f"{CSV_HEAD},indicator,THB01,,1,,", f"{CSV_HEAD},indicator,THB04,,1.5,,"]
    error = expect_error(write_csv(tmp_path / "r.csv", lines))
    assert (error.row, error.column) == (3, "value")

    path = write_report(HEADER, VALUES[:1], [], tmp_path / "r.json", "json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["indicator_values"].append({"indicator_code": "THB04", "value": "abc"})
    path.write_text(json.dumps(doc), encoding="utf-8")
    error = expect_error(path)
    assert (error.sheet, error.row, error.column) == ("indicator_values", 2, "value")


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_file_is_refused(tmp_path: Path, fmt: str) -> None:
    (tmp_path / f"r.{fmt}").write_bytes(b"")
    assert "empty" in str(expect_error(tmp_path / f"r.{fmt}"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_header_only_file_is_refused(tmp_path: Path, fmt: str) -> None:
    path = write_report(HEADER, [], [], tmp_path / f"r.{fmt}", fmt)
    assert "no data rows" in str(expect_error(path))


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
    error = expect_error(
        write_xlsx(tmp_path / "r.xlsx", {"Отчёт": HEADER_ROWS, "Показатели": [], "Мероприятия": rows})
    )
    assert (error.sheet, error.row) == ("Мероприятия", len(rows)) and "'done'" in str(error)


def test_disaggregation_syntax(tmp_path: Path) -> None:
    path = xlsx_report(
        tmp_path / "r.xlsx", [("THB02", None, 1), ("THB02", " Sex = female ", 1), ("THB02", "TOTAL", 1)]
    )
    assert parse_report(path).indicator_values.disaggregation.tolist() == ["total", "sex=female", "total"]
    error = expect_error(xlsx_report(tmp_path / "r.xlsx", [("THB02", "female", 1)]))
    assert error.row == 2 and "dimension=value" in str(error)


def test_unsupported_extension_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.xls").write_bytes(b"x")
    assert ".xls" in str(expect_error(tmp_path / "r.xls"))


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
