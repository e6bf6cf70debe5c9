"""Bad input for report template v1: every case is a real file written by the test
(openpyxl, raw bytes, zipfile), and each is either read correctly or refused with a reason
that names where and what; nothing is loaded silently wrong."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import struct
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from programme_monitoring.report_format import file_safety
from programme_monitoring.report_format.file_safety import (
    MAX_FILE_BYTES,
    decode_text,
    escape_formula,
    mojibake_reason,
    unescape_formula,
)
from programme_monitoring.report_format.labels import CSV_COLUMNS
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import FORMATS, ReportHeader
from programme_monitoring.report_format.writer import write_report
from report_files import refused, write_csv, write_xlsx

CSV_HEADING = ",".join(CSV_COLUMNS)
AUTHORITY = "МВД Республики Казахстан"
HEADER = ReportHeader("KZ", AUTHORITY, "THB", 2014, dt.date(2015, 2, 14), 1)
HEADER_ROWS = [
    ("Государство", "KZ"),
    ("Компетентный орган", AUTHORITY),
    ("Программа", "THB"),
    ("Отчётный год", 2014),
    ("Дата представления", dt.datetime(2015, 2, 14)),
    ("Версия отчёта", 1),
]
HEADING = ("Код показателя", "Разбивка", "Значение", "Комментарий")


def csv_lines() -> list[str]:
    head = f"KZ,{AUTHORITY},THB,2014,2015-02-14,1"
    return [
        CSV_HEADING,
        f'{head},indicator,THB01,total,"1 234",,Сведения уточняются: «№ 5» – ёлка',
        f"{head},indicator,THB02,sex=female,,,не представлено",
        f"{head},measure,01.1.1,,,выполнено,Проведено совещание КоАП",
    ]


def as_text(*cells: str):
    """A setup marking cells of the indicators sheet as text (openpyxl takes "=..." for a formula)."""

    def setup(workbook):
        for cell in cells:
            workbook["Показатели"][cell].data_type = "s"

    return setup


def xlsx_report(path: Path, values: list[tuple], setup=None, header_rows=HEADER_ROWS, **extra) -> Path:
    return write_xlsx(path, {"Отчёт": header_rows, "Показатели": [HEADING, *values], **extra}, setup)


def table(report) -> list[list]:
    """Indicator rows as [code, disaggregation, value, comment], pandas NA as None."""
    frame = report.indicator_values[["indicator_code", "disaggregation", "value", "comment"]]
    return [[None if v is pd.NA else v for v in row] for row in frame.values.tolist()]


@pytest.fixture
def openpyxl_must_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves a refusal came from the checks made before the workbook is handed to openpyxl."""

    def forbidden(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called for a file that must be refused first")

    monkeypatch.setattr(openpyxl, "load_workbook", forbidden)


# --- encodings ----------------------------------------------------------------------------


def test_csv_in_utf8_utf8_bom_and_cp1251_loads_identical_values(tmp_path: Path) -> None:
    reports = [
        parse_report(write_csv(tmp_path / f"{enc}.csv", csv_lines(), enc))
        for enc in ("utf-8", "utf-8-sig", "cp1251")
    ]
    assert [
        decode_text((tmp_path / f"{e}.csv").read_bytes())[1] for e in ("utf-8", "utf-8-sig", "cp1251")
    ] == [
        "utf-8",
        "utf-8-sig",
        "cp1251",
    ]
    first = reports[0]
    assert first.header == HEADER
    assert table(first) == [
        ["THB01", "total", 1234, "Сведения уточняются: «№ 5» – ёлка"],
        ["THB02", "sex=female", None, "не представлено"],
    ]
    assert first.measures.measure_code.tolist() == ["01.1.1"]
    for other in reports[1:]:
        assert other.header == first.header
        assert other.indicator_values.equals(first.indicator_values)
        assert other.measures.equals(first.measures)


@pytest.mark.parametrize("encoding", ["koi8-r", "cp866", "iso8859-5", "mac_cyrillic", "utf-16"])
def test_csv_in_another_code_page_is_refused_not_guessed(tmp_path: Path, encoding: str) -> None:
    error = refused(write_csv(tmp_path / "r.csv", csv_lines(), encoding))
    assert "UTF-8" in error.reason and "r.csv" in str(error)


MOJIBAKE = {
    "utf8_read_as_cp1251": AUTHORITY.encode("utf-8").decode("cp1251", "replace").replace("\ufffd", "?"),
    "utf8_read_as_latin1": "Ð¡Ð»Ð¾Ð²Ð¾",
    "replacement_character": "Сведения \ufffd\ufffd уточняются",
    "short_word": "РњР’Р”",
}


@pytest.mark.parametrize("damaged", MOJIBAKE.values(), ids=MOJIBAKE.keys())
def test_mojibake_is_refused_naming_row_and_column(tmp_path: Path, damaged: str) -> None:
    lines = csv_lines()
    lines[2] = lines[2].replace("не представлено", damaged)
    error = refused(write_csv(tmp_path / "r.csv", lines))
    assert (error.row, error.column) == (3, "comment")
    assert "mojibake" in error.reason or "wrong encoding" in error.reason

    lines = csv_lines()
    lines[1:] = [line.replace(AUTHORITY, damaged) for line in lines[1:]]
    error = refused(write_csv(tmp_path / "r.csv", lines))
    assert (error.row, error.column) == (2, "authority")

    path = xlsx_report(tmp_path / "r.xlsx", [("THB01", "total", 1, ""), ("THB02", "total", 2, damaged)])
    error = refused(path)
    assert (error.sheet, error.row, error.column) == ("Показатели", 3, "Комментарий")

    path = write_report(HEADER, [{"indicator_code": "THB01", "value": 1, "comment": damaged}], [],
                        tmp_path / "r.json", "json")  # fmt: skip
    error = refused(path)
    assert (error.sheet, error.row, error.column) == ("indicator_values", 1, "comment")


@pytest.mark.parametrize(
    "text",
    ["Сёла и сёстры", "КоАП РФ, ст. 18.8", "«МВД» – № 5", "С «кавычками»", "Р—С", "Ёлка", "Café"],
)
def test_real_cyrillic_and_latin_text_is_not_taken_for_mojibake(text: str) -> None:
    assert mojibake_reason(text) is None


# --- headings -----------------------------------------------------------------------------


def test_headings_with_non_breaking_spaces_yo_and_any_case(tmp_path: Path) -> None:
    header_rows = [
        (label.replace("ё", "е").upper().replace(" ", "\u00a0"), value) for label, value in HEADER_ROWS
    ]
    heading = ("Код\u00a0показателя", "\u200bРАЗБИВКА ", " значение\u202f/\u00a0VALUE", "Комментарий\ufeff")
    path = write_xlsx(
        tmp_path / "r.xlsx", {"ОТЧЕТ": header_rows, "показатели": [heading, ("THB01", "", 7, "")]}
    )
    report = parse_report(path)
    assert report.header == HEADER
    assert table(report) == [["THB01", "total", 7, ""]]

    lines = csv_lines()
    lines[0] = ", ".join(f"\u00a0{c.upper().replace('_', ' ')} " for c in CSV_COLUMNS)
    assert parse_report(write_csv(tmp_path / "r.csv", lines)).header == HEADER


def test_unknown_or_missing_column_is_refused_not_a_silent_schema_change(tmp_path: Path) -> None:
    error = refused(write_xlsx(tmp_path / "r.xlsx", {"Отчёт": HEADER_ROWS,
                               "Показатели": [(*HEADING, "Цена"), ("THB01", "", 1, "", 5)]}))  # fmt: skip
    assert (error.row, error.column) == (1, "E") and "'Цена'" in error.reason
    error = refused(write_xlsx(tmp_path / "r.xlsx", {"Отчёт": HEADER_ROWS,
                               "Показатели": [("Код показателя", "Разбивка"), ("THB01", "")]}))  # fmt: skip
    assert "Значение / Value" in error.reason and "missing" in error.reason

    lines = csv_lines()
    lines[0] = lines[0].replace("comment", "remark")
    assert refused(write_csv(tmp_path / "r.csv", lines)).column == "remark"
    lines = [",".join(line.split(",")[:-1]) for line in csv_lines()]
    assert "comment" in refused(write_csv(tmp_path / "r.csv", lines)).reason


# --- Excel specifics ----------------------------------------------------------------------


def test_merged_cells_in_the_data_area_are_refused_naming_the_range(tmp_path: Path) -> None:
    values = [("THB01", "total", 1, "a"), ("THB02", "total", 2, "b")]
    path = xlsx_report(tmp_path / "r.xlsx", values, setup=lambda wb: wb["Показатели"].merge_cells("C3:D3"))
    error = refused(path)
    assert (error.sheet, error.row, error.column) == ("Показатели", 3, "C") and "C3:D3" in error.reason

    path = xlsx_report(tmp_path / "r.xlsx", values, setup=lambda wb: wb["Отчёт"].merge_cells("A7:B8"))
    assert "A7:B8" in refused(path).reason

    # the notes columns (C onwards) of the header sheet may be merged for layout
    path = xlsx_report(tmp_path / "r.xlsx", values, setup=lambda wb: wb["Отчёт"].merge_cells("C2:E4"))
    assert parse_report(path).header == HEADER


def _with_cached_results(path: Path, results: dict[str, str]) -> Path:
    """Give formula cells a saved result, as Excel does (openpyxl saves formulas without one)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            for cell, result in results.items():
                data = re.sub(
                    rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/>'.encode(),
                    rb"\1<v>" + result.encode() + b"</v>",
                    data,
                )
            target.writestr(info, data)
    path.write_bytes(buffer.getvalue())
    return path


def test_a_formula_in_a_cell_read_is_refused_naming_the_cell_even_with_a_saved_result(tmp_path: Path) -> None:
    values = [("THB01", "total", 5, ""), ("THB04", "total", "=C2*2", "")]
    for path in (
        xlsx_report(tmp_path / "r.xlsx", values),  # no saved result (as openpyxl writes it)
        _with_cached_results(xlsx_report(tmp_path / "s.xlsx", values), {"C3": "10"}),  # as Excel writes it
    ):
        error = refused(path)
        assert (error.sheet, error.row, error.column) == ("Показатели", 3, "C")
        assert "=C2*2" in error.reason and "saved result cannot be checked" in error.reason
        assert "формула '=C2*2'" in error.reason_ru

    # a row holding nothing but such a formula is not skipped as empty
    error = refused(xlsx_report(tmp_path / "r.xlsx", [("THB01", "total", 5, ""), (None, None, "=C2")]))
    assert (error.row, error.column) == (3, "C")

    # a formula in the notes columns of the header sheet (a banner, a hint) is harmless: not read
    def banner(wb) -> None:
        wb["Отчёт"]["D1"] = '="Отчёт за "&B4'

    path = _with_cached_results(xlsx_report(tmp_path / "b.xlsx", values[:1], setup=banner), {"D1": "1"})
    assert parse_report(path).header == HEADER


def test_hidden_sheet_named_like_the_reports_is_refused_other_hidden_sheets_ignored(tmp_path: Path) -> None:
    values = [("THB01", "total", 1, "")]

    def hide_indicators(wb):
        wb["Показатели"].sheet_state = "hidden"

    error = refused(xlsx_report(tmp_path / "r.xlsx", values, setup=hide_indicators))
    assert error.sheet == "Показатели" and "hidden" in error.reason

    def very_hidden_measures(wb):
        wb["Measures"].sheet_state = "veryHidden"

    path = xlsx_report(tmp_path / "r.xlsx", values, setup=very_hidden_measures,
                       Measures=[("Measure code", "Status"), ("1.1.1", "implemented")])  # fmt: skip
    assert "veryHidden" in refused(path).reason

    def hidden_first_sheet(wb):
        ws = wb.create_sheet("Лист1", 0)
        ws.append(("Код показателя", "Значение"))
        ws.append(("THB01", 999))
        ws.sheet_state = "hidden"
        wb.active = 1

    report = parse_report(xlsx_report(tmp_path / "r.xlsx", values, setup=hidden_first_sheet))
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").worksheets[0].sheet_state == "hidden"
    assert table(report) == [["THB01", "total", 1, ""]]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(45000, dt.date(2023, 3, 15)), (45000.0, dt.date(2023, 3, 15)), (42049, dt.date(2015, 2, 14)),
     (dt.datetime(2015, 2, 14), dt.date(2015, 2, 14)), (dt.date(2015, 2, 14), dt.date(2015, 2, 14)),
     ("14.02.2015", dt.date(2015, 2, 14)), ("2015-02-14", dt.date(2015, 2, 14))],
)  # fmt: skip
def test_submission_date_as_serial_number_date_cell_or_text(tmp_path: Path, cell, expected) -> None:
    rows = [(k, cell if k == "Дата представления" else v) for k, v in HEADER_ROWS]
    report = parse_report(xlsx_report(tmp_path / "r.xlsx", [("THB01", "", 1, "")], header_rows=rows))
    assert report.header.submission_date == expected


@pytest.mark.parametrize("cell", [12, 45000.5 * 100, -1, "45000"])
def test_a_number_that_is_no_plausible_date_is_refused(tmp_path: Path, cell) -> None:
    rows = [(k, cell if k == "Дата представления" else v) for k, v in HEADER_ROWS]
    error = refused(xlsx_report(tmp_path / "r.xlsx", [("THB01", "", 1, "")], header_rows=rows))
    assert (error.sheet, error.row) == ("Отчёт", 5) and "date" in error.reason


def test_numbers_typed_as_text(tmp_path: Path) -> None:
    values = [("THB01", "article=a", "1,234", ""), ("THB01", "article=b", "1 234", ""),
              ("THB01", "article=c", "-5", ""), ("THB01", "article=d", "12\u00a0345", ""),
              ("THB01", "article=e", 3.0, "")]  # fmt: skip
    assert [row[2] for row in table(parse_report(xlsx_report(tmp_path / "r.xlsx", values)))] == [
        1234, 1234, -5, 12345, 3,
    ]  # fmt: skip
    for raw, why in (("1 234,5", "decimal"), ("1,5", "decimal"), ("12.5", "decimal"), (12.5, "fraction"),
                     ("=SUM(A1)", "formulas written as text")):  # fmt: skip
        values = [("THB01", "", 1, ""), ("THB04", "", raw, "")]
        error = refused(
            xlsx_report(tmp_path / "r.xlsx", values, setup=as_text("C3") if isinstance(raw, str) else None)
        )
        assert (error.sheet, error.row, error.column) == ("Показатели", 3, "Значение") and why in error.reason


def test_codes_keep_leading_zeros_and_numeric_code_cells_are_refused(tmp_path: Path) -> None:
    measures = [("Код мероприятия", "Статус"), ("01.1.1", "выполнено"), ("007", "перенесено")]
    path = xlsx_report(tmp_path / "r.xlsx", [("THB01", "", 1, "")], Мероприятия=measures)
    assert parse_report(path).measures.measure_code.tolist() == ["01.1.1", "007"]

    for code in (1.1, 7, dt.datetime(2001, 1, 1)):
        measures = [("Код мероприятия", "Статус"), ("1.1.1", "выполнено"), (code, "перенесено")]
        error = refused(xlsx_report(tmp_path / "r.xlsx", [("THB01", "", 1, "")], Мероприятия=measures))
        assert (error.sheet, error.row, error.column) == ("Мероприятия", 3, "Код мероприятия")
        assert "format the column as Text" in error.reason
    error = refused(xlsx_report(tmp_path / "r.xlsx", [(101, "", 1, "")]))
    assert (error.row, error.column) == (2, "Код показателя")

    path = write_report(
        HEADER, [], [{"measure_code": "01.1.1", "status": "implemented"}], tmp_path / "r.json", "json"
    )
    assert parse_report(path).measures.measure_code.tolist() == ["01.1.1"]
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["measures"][0]["measure_code"] = 1.1
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert refused(path).column == "measure_code"

    lines = csv_lines()  # CSV cells are text: the code is kept exactly
    assert parse_report(write_csv(tmp_path / "r.csv", lines)).measures.measure_code.tolist() == ["01.1.1"]


def test_empty_rows_are_skipped(tmp_path: Path) -> None:
    values = [
        (None,),
        ("THB01", "", 1, ""),
        (None, None, None, None),
        ("  ", " ", "", None),
        ("THB04", "", 2, ""),
    ]
    report = parse_report(xlsx_report(tmp_path / "r.xlsx", values))
    assert report.indicator_values.source_row.tolist() == [3, 6]
    lines = csv_lines()
    lines.insert(2, ",,,,,,,,,,,")
    lines.insert(2, "")
    assert parse_report(write_csv(tmp_path / "r.csv", lines)).indicator_values.source_row.tolist() == [2, 5]


# --- empty, header-only and truncated files -------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_zero_byte_and_header_only_files_are_refused(tmp_path: Path, fmt: str) -> None:
    (tmp_path / f"empty.{fmt}").write_bytes(b"")
    assert refused(tmp_path / f"empty.{fmt}").reason == "the file is empty"
    path = write_report(HEADER, [], [], tmp_path / f"r.{fmt}", fmt)
    assert "no data rows" in refused(path).reason


def test_whitespace_only_csv_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_bytes(b"\xef\xbb\xbf \r\n\r\n")
    assert "empty" in refused(tmp_path / "r.csv").reason


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, -22, -1])
def test_truncated_xlsx_is_refused(tmp_path: Path, keep: float, openpyxl_must_not_load: None) -> None:
    data = write_report(
        HEADER, [{"indicator_code": "THB01", "value": 1}], [], tmp_path / "a.xlsx", "xlsx"
    ).read_bytes()
    cut = int(len(data) * keep) if keep > 0 else len(data) + int(keep)
    (tmp_path / "r.xlsx").write_bytes(data[:cut])
    assert "truncated or damaged" in refused(tmp_path / "r.xlsx").reason


def test_xlsx_with_a_damaged_part_is_refused(tmp_path: Path, openpyxl_must_not_load: None) -> None:
    path = write_report(
        HEADER, [{"indicator_code": "THB01", "value": 1}] * 50, [], tmp_path / "r.xlsx", "xlsx"
    )
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet2.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 20, start + 60):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    reason = refused(path).reason
    assert "not a complete .xlsx workbook" in reason


def test_truncated_json_is_refused(tmp_path: Path) -> None:
    path = write_report(HEADER, [{"indicator_code": "THB01", "value": 1}], [], tmp_path / "r.json", "json")
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    assert "not valid JSON" in refused(path).reason


def test_csv_cut_mid_line_or_inside_a_quoted_field_is_refused(tmp_path: Path) -> None:
    text = "\n".join(csv_lines())
    path = tmp_path / "r.csv"
    path.write_text(text[: text.index(",Проведено")], encoding="utf-8")  # last row cut before its comment
    error = refused(path)
    assert "does not end with a line break" in error.reason and "still being written" in error.reason
    assert "ещё записывается" in error.reason_ru

    path.write_text(text[: text.index(",Проведено")] + "\n", encoding="utf-8")  # cut at a field, then a break
    error = refused(path)
    assert (
        "the last row has 11 fields, the heading 12" in error.reason and "still being written" in error.reason
    )

    lines = csv_lines()
    lines[-1] = lines[-1].replace(",Проведено", ',"Проведено')  # a quoted field, cut before its closing quote
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error = refused(path)
    assert error.row == 4 and "quote" in error.reason

    path.write_bytes("\n".join(csv_lines()).encode() + b"\n" + bytes(4096))  # zero-filled after a crash
    assert "NUL bytes" in refused(path).reason


# --- oversized files, zip bombs, XML entities ------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_oversized_file_is_refused_before_it_is_read(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch, openpyxl_must_not_load: None
) -> None:
    path = tmp_path / f"r.{fmt}"
    with open(path, "wb") as handle:  # sparse: the size is real, the disk blocks are not written
        handle.truncate(MAX_FILE_BYTES[fmt] + 1)

    def forbidden(self):
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", forbidden)
    monkeypatch.setattr(Path, "read_text", forbidden)
    error = refused(path)
    assert f"over the {MAX_FILE_BYTES[fmt] // 2**20} MB limit" in error.reason
    assert f"предельного размера {MAX_FILE_BYTES[fmt] // 2**20} МБ для отчёта .{fmt}" in error.reason_ru


def _xlsx_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info.filename) for info in zf.infolist()}


def _rezip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def test_zip_bomb_is_refused_from_the_central_directory(tmp_path: Path, openpyxl_must_not_load: None) -> None:
    parts = _xlsx_parts(write_report(HEADER, [{"indicator_code": "THB01", "value": 1}], [],
                                     tmp_path / "a.xlsx", "xlsx"))  # fmt: skip
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet2.xml":
                zf.writestr(name, data)
        # ~200 MB of sheet XML (a row of zeros, padded) streamed in 1 MB writes: ~200 KB on disk
        with zf.open("xl/worksheets/sheet2.xml", "w", force_zip64=True) as sheet:
            sheet.write(parts["xl/worksheets/sheet2.xml"][:200])
            block = b"0" * 2**20
            for _ in range(200):
                sheet.write(block)
    assert path.stat().st_size < 2**20
    error = refused(path)
    assert "zip bomb" in error.reason and "before opening the workbook" in error.reason
    assert "xl/worksheets/sheet2.xml" in error.reason


def test_workbook_inflating_past_the_total_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openpyxl_must_not_load: None
) -> None:
    path = write_report(HEADER, [{"indicator_code": "THB01", "value": 1}], [], tmp_path / "r.xlsx", "xlsx")
    monkeypatch.setattr(file_safety, "XLSX_MAX_UNCOMPRESSED", 10_000)
    assert "would inflate to" in refused(path).reason


def test_part_inflating_past_its_declared_size_is_refused(
    tmp_path: Path, openpyxl_must_not_load: None
) -> None:
    """A zip that understates a part's size: zipfile stops at the declared size and the CRC fails."""
    path = write_report(
        HEADER, [{"indicator_code": "THB01", "value": 1}] * 200, [], tmp_path / "r.xlsx", "xlsx"
    )
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("xl/worksheets/sheet2.xml")
    struct.pack_into("<I", data, info.header_offset + 22, 100)  # local header: uncompressed size
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(info.filename)] != info.filename.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 24, 100)  # central directory: uncompressed size
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet2.xml").file_size == 100
    assert "truncated or damaged" in refused(path).reason


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE worksheet [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>Indicator code</t></is></c>
<c r="B1" t="inlineStr"><is><t>Value</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c><c r="B2"><v>1</v></c></row>
</sheetData></worksheet>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&xxe;</t></si></sst>"""


@pytest.mark.parametrize(
    ("part", "xml"),
    [("xl/worksheets/sheet2.xml", BILLION_LAUGHS), ("xl/sharedStrings.xml", EXTERNAL_ENTITY),
     ("xl/workbook.xml", b'<?xml version="1.0"?><!DOCTYPE workbook><workbook/>')],
    ids=["billion_laughs", "external_entity", "doctype"],
)  # fmt: skip
def test_xml_entity_attacks_are_refused_before_openpyxl(
    tmp_path: Path, part: str, xml: bytes, openpyxl_must_not_load: None
) -> None:
    parts = _xlsx_parts(write_report(HEADER, [{"indicator_code": "THB01", "value": 1}], [],
                                     tmp_path / "a.xlsx", "xlsx"))  # fmt: skip
    parts[part] = xml
    error = refused(_rezip(tmp_path / "r.xlsx", parts))
    assert f"part {part} declares a DTD or XML entities" in error.reason
    assert "before opening the workbook" in error.reason


def test_not_a_workbook_and_old_xls_are_refused(tmp_path: Path) -> None:
    (tmp_path / "r.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert ".xls" in refused(tmp_path / "r.xlsx").reason
    _rezip(tmp_path / "r.xlsx", {"hello.txt": b"hi"})
    assert "not an Excel workbook" in refused(tmp_path / "r.xlsx").reason
    (tmp_path / "r.xlsx").write_text("state,authority\n", encoding="utf-8")
    assert "truncated or damaged" in refused(tmp_path / "r.xlsx").reason


# --- formulas: stored as text, escaped in exports ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("=1+2", "'=1+2"), ("+7", "'+7"), ("-нет данных", "'-нет данных"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\r=x", "'\r=x"), ("'=x", "''=x"), ("''+y", "'''+y"), ("'plain", "'plain"),
     ("plain", "plain"), ("a=b", "a=b"), ("", "")],
)  # fmt: skip
def test_escape_formula_prefixes_a_quote_and_is_exactly_reversible(text: str, escaped: str) -> None:
    assert escape_formula(text) == escaped
    assert unescape_formula(escaped) == text


FORMULA_TEXTS = [
    {"indicator_code": "THB01", "disaggregation": "total", "value": -5, "comment": '=HYPERLINK("http://x")'},
    {"indicator_code": "THB02", "disaggregation": "total", "value": 3, "comment": "+7 (уточняется)"},
    {"indicator_code": "THB04", "disaggregation": "total", "value": None, "comment": "@cmd"},
    {"indicator_code": "THB05", "disaggregation": "total", "value": 0, "comment": "'=already quoted"},
]


def test_csv_export_escapes_formulas_and_parse_gives_the_original_text(tmp_path: Path) -> None:
    measures = [{"measure_code": "1.1.1", "status": "implemented", "narrative": "-перенесено частично"}]
    path = write_report(HEADER, FORMULA_TEXTS, measures, tmp_path / "r.csv", "csv")
    text = path.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and ",'+7 (" in text and ",'@cmd" in text and ",''=already" in text
    assert ",'-перенесено" in text and ",-5," in text  # a number is written as a number
    assert not re.search(r"(^|,)[=+@]", text, re.M)  # no cell starts a formula
    report = parse_report(path)
    assert [row[3] for row in table(report)] == [row["comment"] for row in FORMULA_TEXTS]
    assert report.indicator_values.value.tolist()[:2] == [-5, 3]
    assert report.measures.narrative.tolist() == ["-перенесено частично"]


def test_xlsx_export_stores_formula_like_text_as_quoted_text(tmp_path: Path) -> None:
    path = write_report(HEADER, FORMULA_TEXTS, [], tmp_path / "r.xlsx", "xlsx")
    ws = openpyxl.load_workbook(path)["Показатели | Indicators"]
    for row, item in enumerate(FORMULA_TEXTS, start=2):
        cell = ws.cell(row=row, column=5)
        assert cell.value == item["comment"] and cell.data_type == "s"
        assert cell.quotePrefix == (item["comment"][:1] in "=+-@'")
    assert b"<f>" not in zipfile.ZipFile(path).read("xl/worksheets/sheet2.xml")
    assert [row[3] for row in table(parse_report(path))] == [row["comment"] for row in FORMULA_TEXTS]


def test_formula_text_typed_by_a_member_state_is_kept_as_text_or_refused_as_a_value(tmp_path: Path) -> None:
    values = [("THB01", "", "-5", "=SUM(A1)"), ("THB02", "", 1, "+ещё данные")]
    assert table(parse_report(xlsx_report(tmp_path / "r.xlsx", values, setup=as_text("D2")))) == [
        ["THB01", "total", -5, "=SUM(A1)"], ["THB02", "total", 1, "+ещё данные"],
    ]  # fmt: skip
    lines = csv_lines()
    lines[1] = lines[1].replace('"1 234"', "=SUM(A1)")
    error = refused(write_csv(tmp_path / "r.csv", lines))
    assert (error.row, error.column) == (2, "value") and "not a whole number" in error.reason


def test_workbook_with_cell_comments_and_a_notes_sheet_is_read(tmp_path: Path) -> None:
    """Ordinary workbook parts (comment boxes as legacy VML, extra sheets) pass the pre-checks."""

    def annotate(workbook):
        workbook["Показатели"]["C2"].comment = openpyxl.comments.Comment("проверено", "МВД")
        workbook.create_sheet("Заметки").append(("что угодно", "=1+1"))

    path = xlsx_report(tmp_path / "r.xlsx", [("THB01", "", 4, "")], setup=annotate)
    assert any(name.endswith(".vml") for name in zipfile.ZipFile(path).namelist())
    assert table(parse_report(path)) == [["THB01", "total", 4, ""]]
