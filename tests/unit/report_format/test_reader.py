"""parse_report across the three formats: real files in tmp_path, written by write_report or
by hand, read back; the same refusals whatever the format."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from programme_monitoring.report_format.labels import CSV_COLUMNS
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import FORMATS
from programme_monitoring.report_format.writer import write_report
from report_files import (
    HEADER,
    HEADER_ROWS,
    MEASURES,
    VALUES,
    records,
    refused,
    write_csv,
    write_xlsx,
    xlsx_report,
)

DATA_COLUMNS = ["indicator_code", "disaggregation", "value", "is_reported", "comment"]
CSV_HEADING = ",".join(CSV_COLUMNS)
CSV_HEAD = "KZ,МВД,THB,2014,2015-02-14,1"


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


def test_negative_values_and_unknown_codes_are_left_to_the_content_checks(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [CSV_HEADING, f"{CSV_HEAD},indicator,XYZ99,,-3,,"])
    values = parse_report(path).indicator_values
    assert values[["indicator_code", "value"]].values.tolist() == [["XYZ99", -3]]


def test_missing_header_field_is_refused(tmp_path: Path) -> None:
    rows = [row for row in HEADER_ROWS if row[0] != "Отчётный год"]
    error = refused(
        write_xlsx(
            tmp_path / "r.xlsx", {"Отчёт": rows, "Показатели": [("Код показателя", "Значение"), ("THB01", 1)]}
        )
    )
    assert "Reporting year" in str(error) and error.sheet == "Отчёт"

    error = refused(write_csv(tmp_path / "r.csv", [CSV_HEADING.replace("authority,", ""), "KZ,THB"]))
    assert "authority" in str(error)

    doc = {"template_version": 1, "header": {"state": "KZ", "authority": "МВД", "programme": "THB",
           "reporting_year": 2014, "submission_date": "2015-02-14"}, "indicator_values": []}  # fmt: skip
    (tmp_path / "r.json").write_text(json.dumps(doc), encoding="utf-8")
    assert "'version' is missing" in str(refused(tmp_path / "r.json"))


def test_non_numeric_value_is_refused_naming_the_row(tmp_path: Path) -> None:
    error = refused(xlsx_report(tmp_path / "r.xlsx", [("THB01", "", 1), ("THB04", "", "abc")]))
    assert (error.sheet, error.row) == ("Показатели", 3) and "'abc'" in str(error)

    lines = [CSV_HEADING, f"{CSV_HEAD},indicator,THB01,,1,,", f"{CSV_HEAD},indicator,THB04,,1.5,,"]
    error = refused(write_csv(tmp_path / "r.csv", lines))
    assert (error.row, error.column) == (3, "value")

    path = write_report(HEADER, VALUES[:1], [], tmp_path / "r.json", "json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["indicator_values"].append({"indicator_code": "THB04", "value": "abc"})
    path.write_text(json.dumps(doc), encoding="utf-8")
    error = refused(path)
    assert (error.sheet, error.row, error.column) == ("indicator_values", 2, "value")
    assert str(error).startswith("file r.json, sheet 'indicator_values', row 2, column 'value': ")


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_file_is_refused(tmp_path: Path, fmt: str) -> None:
    (tmp_path / f"r.{fmt}").write_bytes(b"")
    assert "empty" in str(refused(tmp_path / f"r.{fmt}"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_header_only_file_is_refused(tmp_path: Path, fmt: str) -> None:
    path = write_report(HEADER, [], [], tmp_path / f"r.{fmt}", fmt)
    assert "no data rows" in str(refused(path))


def test_unsupported_extension_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.xls").write_bytes(b"x")
    assert ".xls" in str(refused(tmp_path / "r.xls"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_breakdowns_are_a_categorical_in_order_of_first_appearance(tmp_path: Path, fmt: str) -> None:
    """Hashed once by the reader, so the suites, the review frames and the COPY work on its codes."""
    report = parse_report(write_report(HEADER, VALUES, MEASURES, tmp_path / f"r.{fmt}", fmt))
    breakdowns = report.indicator_values["disaggregation"]
    assert isinstance(breakdowns.dtype, pd.CategoricalDtype)
    assert breakdowns.cat.categories.tolist() == list(dict.fromkeys(breakdowns.astype(object)))
    assert breakdowns.astype(object).tolist() == [row["disaggregation"] or "total" for row in VALUES]
