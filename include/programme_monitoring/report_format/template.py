"""Member-state report template, version 1: read and write XLSX, CSV and JSON reports.

``parse_report`` turns any of the three forms into a ``ParsedReport`` and refuses, with a
``ReportFormatError`` naming file, sheet, row and column, anything it cannot read
unambiguously. It checks structure only: whether codes exist, values are non-negative,
the state takes part in the programme or rows repeat is for the content checks later.

The format is documented in ``docs/report_template_v1.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from programme_monitoring.reference import MEASURE_STATUSES, load_reference
from programme_monitoring.report_format.file_safety import (
    MAX_DATA_ROWS,
    MOJIBAKE_MARKERS,
    SheetPart,
    UnsafeFile,
    check_size,
    csv_encoding,
    escape_formula,
    inspect_xlsx,
    mojibake_reason,
    needs_formula_escape,
    unescape_formula,
)
from programme_monitoring.report_format.records import (
    INDICATOR_COLUMNS,
    MEASURE_COLUMNS,
    TEMPLATE_VERSION,
    ParsedReport,
    ReportFormatError,
    ReportHeader,
)

FORMATS = ("xlsx", "csv", "json")

# The one reviewed table of labels, per context: canonical key -> (Russian, English, *other
# accepted spellings). The template shows "Russian / English" (sheets: "Russian | English");
# a reader accepts the key, any single label or the bilingual label, in any case and spacing.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "sheet": {
        "report": ("Отчёт", "Report"),
        "indicators": ("Показатели", "Indicators"),
        "measures": ("Мероприятия", "Measures"),
        "instructions": ("Инструкция", "Instructions"),
    },
    "header": {
        "field": ("Поле", "Field"),  # caption row of the header sheet, skipped
        "state": ("Государство", "State", "Код государства", "State code"),
        "authority": ("Компетентный орган", "Competent authority", "Орган", "Authority"),
        "programme": ("Программа", "Programme", "Program", "Код программы", "Programme code"),
        "reporting_year": ("Отчётный год", "Reporting year", "Год", "Year"),
        "submission_date": ("Дата представления", "Submission date", "Дата", "Date"),
        "version": ("Версия отчёта", "Report version", "Версия", "Version"),
        "template_version": ("Версия шаблона", "Template version"),
    },
    "indicator": {
        "indicator_code": ("Код показателя", "Indicator code", "Показатель", "Indicator", "Code"),
        "indicator_name": ("Наименование показателя", "Indicator name"),  # for the reader, ignored
        "disaggregation": ("Разбивка", "Disaggregation", "Дезагрегация"),
        "value": ("Значение", "Value"),
        "comment": ("Комментарий", "Comment"),
    },
    "measure": {
        "measure_code": ("Код мероприятия", "Measure code", "Code"),
        "measure_text": ("Мероприятие", "Measure"),  # for the reader, ignored
        "status": ("Статус", "Status", "Состояние", "Состояние исполнения"),
        "narrative": ("Информация о выполнении", "Narrative", "Комментарий", "Comment"),
    },
    "status": {
        "implemented": ("выполнено", "implemented"),
        "in_progress": ("выполняется", "in progress"),
        "not_implemented": ("не выполнено", "not implemented"),
        "postponed": ("перенесено", "postponed"),
    },
    "part": {
        "indicator": ("показатель", "indicator"),
        "measure": ("мероприятие", "measure"),
    },
}
assert set(ALIASES["status"]) == set(MEASURE_STATUSES)

NOT_REPORTED = ("not reported", "не представлено", "н/д")
TOTAL = "total"
HEADER_FIELDS = ("state", "authority", "programme", "reporting_year", "submission_date", "version")
CSV_COLUMNS = (*HEADER_FIELDS, "part", "code", "disaggregation", "value", "status", "comment")
JSON_INDICATOR_KEYS = ("indicator_code", "disaggregation", "value", "comment")
JSON_MEASURE_KEYS = ("measure_code", "status", "narrative")

# Columns of the XLSX data sheets, in template order; the first-named must be present.
XLSX_INDICATOR_COLUMNS = ("indicator_code", "indicator_name", "disaggregation", "value", "comment")
XLSX_MEASURE_COLUMNS = ("measure_code", "measure_text", "status", "narrative")
REQUIRED = {"indicator": ("indicator_code", "value"), "measure": ("measure_code", "status")}


def _norm(text: object) -> str:
    """Comparison form of a label: case, ё/е, underscores and spacing (incl. non-breaking
    spaces) do not matter; invisible characters pasted along (zero-width space, byte-order
    mark, soft hyphen) are dropped."""
    text = re.sub("[\u200b\ufeff\u00ad]", "", str(text))
    text = text.casefold().replace("ё", "е").replace("_", " ")
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r" ?([/|]) ?", r"\1", text)


def label(scope: str, key: str) -> str:
    """The bilingual label the template shows, e.g. "Код показателя / Indicator code"."""
    ru, en = ALIASES[scope][key][:2]
    return f"{ru} | {en}" if scope == "sheet" else f"{ru} / {en}"


def _build_lookup() -> dict[str, dict[str, str]]:
    lookup: dict[str, dict[str, str]] = {}
    for scope, entries in ALIASES.items():
        table = lookup.setdefault(scope, {})
        for key, names in entries.items():
            ru, en = names[:2]
            for name in (key, *names, f"{ru}/{en}", f"{ru}|{en}", f"{en}/{ru}", f"{en}|{ru}"):
                table[_norm(name)] = key
    return lookup


_LOOKUP = _build_lookup()
_NOT_REPORTED = {_norm(token) for token in NOT_REPORTED}


def lookup(scope: str, text: object) -> str | None:
    """Canonical key for a label or code written in any accepted spelling, else None."""
    return _LOOKUP[scope].get(_norm(text)) if text is not None else None


# --- values -------------------------------------------------------------------------------

# Whole numbers, optionally with a consistent thousands separator: "1234", "1 234", "1,234".
_WHOLE = re.compile(r"[+-]?(?:\d{1,3}(?P<sep>[ ,])\d{3}(?:(?P=sep)\d{3})*|\d+)")
_DECIMAL = re.compile(r"[+-]?\d[\d ,]*[.,]\d+")


def parse_count(raw: object) -> int | None:
    """A reported count, or None for "not reported" (empty or a not-reported token).

    Raises ValueError for anything that is not a whole number. Negative numbers are read
    as written: the content checks reject them, naming the value.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise ValueError(f"{raw!r} is not a whole number: counts have no fractions")
    if isinstance(raw, str):
        text = re.sub(r"[\s\u00a0\u202f\u2009]+", " ", raw).replace("\u2212", "-").strip()
        if not text or _norm(text) in _NOT_REPORTED:
            return None
        if _WHOLE.fullmatch(text):
            return int(re.sub(r"[ ,]", "", text))
        if _DECIMAL.fullmatch(text):
            raise ValueError(
                f"{raw!r} is not a whole number: it has a decimal part (a comma is only a thousands "
                "separator, as in 1,234); counts are whole numbers"
            )
        if text.startswith("="):
            raise ValueError(f"{raw!r} is not a whole number: formulas written as text are not evaluated")
        raise ValueError(
            f"{raw!r} is not a whole number: write digits (e.g. 1234 or 1 234), "
            f"or leave empty / write 'not reported' if there is no figure"
        )
    raise ValueError(f"{raw!r} ({type(raw).__name__}) is not a whole number")


def _text(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    return str(raw).strip()


def _parse_date(raw: object) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = _text(raw)
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD (e.g. 2015-02-14) or DD.MM.YYYY")


def parse_code(raw: object) -> str:
    """An indicator or measure code exactly as written; a number or date is refused, since
    Excel (or a JSON writer) may already have changed it: 01 -> 1, 1.10 -> 1.1, 1.1.1 -> a date."""
    if isinstance(raw, bool | int | float | dt.date | dt.time):
        kind = "date" if isinstance(raw, dt.date | dt.time) else "number"
        raise ValueError(
            f"the code is stored as a {kind} ({_text(raw)!r}), so its leading zeros or trailing digits "
            "may be lost: format the column as Text and type the code as the template shows it "
            "(e.g. 01.1.1)"
        )
    return _text(raw)


# Text already in the form parse_disaggregation returns (a lowercase ASCII dimension, "=", a
# value without surrounding spaces): a large file's distinct values skip the parser.
CANONICAL_DISAGGREGATION = re.compile(r"[a-z0-9_]+=(?:\S|\S.*\S)")


def parse_disaggregation(raw: object) -> str:
    """ "total" for an empty cell, else "dimension=value" with a lowercase dimension."""
    text = _text(raw)
    if not text or _norm(text) in ("total", "всего", "итого"):
        return TOTAL
    dimension, sep, value = text.partition("=")
    dimension = re.sub(r"\s+", "_", dimension.strip().lower())
    value = value.strip()
    if not sep or not dimension or not value:
        raise ValueError(f"{text!r}: write 'total' (or leave empty) or 'dimension=value', e.g. 'sex=female'")
    return f"{dimension}={value}"


def parse_status(raw: object) -> str:
    status = lookup("status", raw)
    if status is None:
        allowed = "; ".join(label("status", key) for key in ALIASES["status"])
        raise ValueError(f"{_text(raw)!r} is not a measure status: write one of {allowed}")
    return status


# --- reading ------------------------------------------------------------------------------


class _Collector:
    """Builds a ParsedReport from rows handed over by the format readers; one per file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.keep_sheet = path.suffix.lower() == ".xlsx"  # source_sheet is "" for CSV and JSON
        self.indicators: list[dict[str, Any]] = []
        self.measures: list[dict[str, Any]] = []
        self.frames: dict[str, list[pd.DataFrame]] = {"indicator": [], "measure": []}
        self.rows = 0

    def error(
        self, message: str, sheet: str = "", row: int | None = None, column: str = ""
    ) -> ReportFormatError:
        return ReportFormatError(self.path, message, sheet=sheet, row=row, column=column)

    def _convert(
        self, func: Callable[[object], Any], raw: object, sheet: str, row: int | None, column: str
    ) -> Any:
        try:
            return func(raw)
        except ValueError as exc:
            raise self.error(str(exc), sheet, row, column) from None

    def check_text(
        self, fields: dict[str, object], sheet: str, row: int | None, names: dict[str, str]
    ) -> None:
        """Refuse text damaged by a wrong code page (mojibake), naming row and column."""
        for key, raw in fields.items():
            if isinstance(raw, str) and (reason := mojibake_reason(raw)):
                raise self.error(reason, sheet, row, names.get(key, key))

    def count_row(self, sheet: str, row: int) -> None:
        self.count_rows(1, row, sheet)

    def count_rows(self, added: int, row: int, sheet: str = "") -> None:
        self.rows += added
        if self.rows > MAX_DATA_ROWS:
            raise self.error(f"more than {MAX_DATA_ROWS} data rows: a report is far smaller", sheet, row)

    def add_frame(self, part: str, frame: pd.DataFrame) -> None:
        """Rows already parsed and checked in bulk (a CSV chunk), INDICATOR_ or MEASURE_COLUMNS."""
        self.frames[part].append(frame)

    def header(
        self, fields: dict[str, tuple[object, int | None]], sheet: str, names: dict[str, str]
    ) -> ReportHeader:
        """fields: key -> (raw value, row); names: key -> column/label as the file shows it."""
        for key in HEADER_FIELDS:
            if key not in fields:
                raise self.error(f"header field {names[key]!r} is missing", sheet)
            raw, row = fields[key]
            if _text(raw) == "":
                raise self.error(f"header field {names[key]!r} is empty: fill it in", sheet, row, names[key])
            self.check_text({key: raw}, sheet, row, names)

        def get(key: str, func: Callable[[object], Any]) -> Any:
            raw, row = fields[key]
            return self._convert(func, raw, sheet, row, names[key])

        def whole(raw: object) -> int:
            number = parse_count(raw)
            if number is None:
                raise ValueError("a whole number is required here")
            return number

        return ReportHeader(
            state_code=get("state", _text).upper(),
            authority=get("authority", _text),
            programme_code=get("programme", _text).upper(),
            reporting_year=get("reporting_year", whole),
            submission_date=get("submission_date", _parse_date),
            version=get("version", whole),
        )

    def indicator(self, fields: dict[str, object], sheet: str, row: int, names: dict[str, str]) -> None:
        self.count_row(sheet, row)
        self.check_text(fields, sheet, row, names)
        code = self._convert(parse_code, fields.get("indicator_code"), sheet, row, names["indicator_code"])
        code = code.upper()
        if not code:
            raise self.error("indicator code is missing", sheet, row, names["indicator_code"])
        value = self._convert(parse_count, fields.get("value"), sheet, row, names["value"])
        self.indicators.append(
            {
                "source_sheet": sheet if self.keep_sheet else "",
                "source_row": row,
                "indicator_code": code,
                "disaggregation": self._convert(
                    parse_disaggregation, fields.get("disaggregation"), sheet, row, names["disaggregation"]
                ),
                "value": value,
                "is_reported": value is not None,
                "comment": _text(fields.get("comment")),
            }
        )

    def measure(self, fields: dict[str, object], sheet: str, row: int, names: dict[str, str]) -> None:
        self.count_row(sheet, row)
        self.check_text(fields, sheet, row, names)
        code = self._convert(parse_code, fields.get("measure_code"), sheet, row, names["measure_code"])
        if not code:
            raise self.error("measure code is missing", sheet, row, names["measure_code"])
        self.measures.append(
            {
                "source_sheet": sheet if self.keep_sheet else "",
                "source_row": row,
                "measure_code": code,
                "status": self._convert(parse_status, fields.get("status"), sheet, row, names["status"]),
                "narrative": _text(fields.get("narrative")),
            }
        )

    def result(self, header: ReportHeader, file_format: str) -> ParsedReport:
        if not self.rows:
            raise self.error("the report has no data rows: fill in indicator values and/or measures")
        values = self._table("indicator", self.indicators, INDICATOR_COLUMNS)
        values["value"] = values["value"].astype("Int64")
        values["is_reported"] = values["is_reported"].astype(bool)
        measures = self._table("measure", self.measures, MEASURE_COLUMNS)
        return ParsedReport(self.path, file_format, header, values, measures)

    def _table(self, part: str, rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
        frames = self.frames[part] or [pd.DataFrame(rows, columns=columns)]
        if rows and self.frames[part]:
            frames = [pd.DataFrame(rows, columns=columns), *frames]
        table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        table["source_row"] = table["source_row"].astype("int64")
        return table


def parse_report(path: Path) -> ParsedReport:
    """Read one report file (.xlsx, .csv or .json) as template version 1."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    collector = _Collector(path)
    if fmt not in FORMATS:
        raise collector.error(f"unsupported file type {path.suffix!r}: send .xlsx, .csv or .json")
    try:
        check_size(path, fmt)  # before reading a byte
    except UnsafeFile as exc:
        raise collector.error(str(exc)) from None
    reader = {"xlsx": _read_xlsx, "csv": _read_csv, "json": _read_json}[fmt]
    header = reader(path, collector)
    return collector.result(header, fmt)


# Sheets the reader reads. A hidden sheet named like one of them is refused (its data would
# be loaded without anyone having seen it); other hidden sheets are ignored like any other
# sheet with a name of its own.
READ_SHEETS = ("report", "indicators", "measures")
FormulaCells = dict[int, list[tuple[int, str]]]  # row -> [(column, formula)]


def _xlsx_rows(
    ws: Worksheet, out: _Collector, formulas: FormulaCells | None = None
) -> Iterator[tuple[int, tuple[object, ...]]]:
    """(spreadsheet row number, cell values) for every row that is not entirely empty.

    A formula cell whose result was never saved reads as empty: refused, naming the cell,
    before the row could be skipped as empty or read as "not reported"."""
    ws.reset_dimensions()  # the stored dimension may be wrong in files from other tools
    formulas = formulas or {}
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        for column, formula in formulas.get(number, ()):
            if column > len(row) or row[column - 1] is None:
                cell = f"{openpyxl.utils.get_column_letter(column)}{number}"
                raise out.error(
                    f"cell {cell} holds the formula {formula!r} but no saved result: open the file in "
                    "Excel, let it calculate and save it, or type the value instead of the formula",
                    ws.title,
                    number,
                    openpyxl.utils.get_column_letter(column),
                )
        if any(_text(cell) for cell in row):
            yield number, row


def _check_merged(sheet: SheetPart, key: str, out: _Collector) -> None:
    """Merged cells keep only the top-left value: refused in the sheets read, except in the
    notes columns (C onwards) of the header sheet."""
    for ref in sheet.merged:
        try:
            min_col, min_row, _max_col, _max_row = openpyxl.utils.range_boundaries(ref)
        except (TypeError, ValueError):
            raise out.error(
                f"merged range {ref!r} is malformed: the workbook is damaged", sheet.name
            ) from None
        if key == "report" and min_col >= 3:
            continue
        raise out.error(
            f"cells {ref} are merged: a merged range keeps only its top-left value, so the others "
            "would be lost; unmerge them and fill in every cell",
            sheet.name,
            min_row,
            openpyxl.utils.get_column_letter(min_col),
        )


def _formula_cells(path: Path, sheets: list[SheetPart]) -> dict[str, FormulaCells]:
    """Sheet name -> formula cells, read with data_only=False (only for sheets that have any)."""
    if not sheets:
        return {}
    names = {sheet.name for sheet in sheets}
    found: dict[str, FormulaCells] = {}
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        for ws in workbook.worksheets:
            if ws.title not in names:
                continue
            ws.reset_dimensions()
            cells = found.setdefault(ws.title, {})
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        cells.setdefault(cell.row, []).append((cell.column, str(cell.value)))
    finally:
        workbook.close()
    return found


def _read_xlsx(path: Path, out: _Collector) -> ReportHeader:
    try:
        layout = inspect_xlsx(path)  # zip bomb, DTD / entities, truncation: before openpyxl opens it
    except UnsafeFile as exc:
        raise out.error(str(exc)) from None
    read: list[SheetPart] = []
    for sheet in layout.sheets:
        key = lookup("sheet", sheet.name)
        if key in READ_SHEETS:
            if sheet.state != "visible":
                raise out.error(
                    f"the sheet is {sheet.state}: a hidden sheet named like the report's sheets would be "
                    "read without anyone seeing it; unhide it (right-click a sheet tab > Unhide) or "
                    "delete it",
                    sheet.name,
                )
            _check_merged(sheet, key, out)
            read.append(sheet)
    try:
        formulas = _formula_cells(path, [sheet for sheet in read if sheet.has_formulas])
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise out.error(
            f"not a readable .xlsx workbook ({type(exc).__name__}): save it as Excel .xlsx"
        ) from None
    try:
        sheets: dict[str, Worksheet] = {}
        for ws in workbook.worksheets:
            key = lookup("sheet", ws.title)
            if key in sheets:
                raise out.error(f"two sheets are named as {label('sheet', key)!r}: keep one", ws.title)
            if key:
                sheets[key] = ws
        for key in ("report", "indicators"):
            if key not in sheets:
                found = ", ".join(repr(ws.title) for ws in workbook.worksheets)
                raise out.error(f"sheet {label('sheet', key)!r} is missing (sheets found: {found})")
        header = _read_xlsx_header(
            sheets["report"], out, workbook.epoch, formulas.get(sheets["report"].title)
        )
        for key, scope, add in (
            ("indicators", "indicator", out.indicator),
            ("measures", "measure", out.measure),
        ):
            if key in sheets:
                _read_xlsx_table(sheets[key], scope, add, out, formulas.get(sheets[key].title))
        return header
    except (zipfile.BadZipFile, zlib.error, EOFError, ParseError) as exc:
        raise out.error(f"the workbook cannot be read ({type(exc).__name__}: {exc}): send it again") from None
    finally:
        workbook.close()


def _excel_serial_date(raw: object, epoch: dt.datetime) -> object:
    """A submission date typed as an Excel serial number (45000 = 2023-03-15) as a date;
    anything else unchanged."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return raw
    try:
        value = from_excel(raw, epoch)
    except (ValueError, OverflowError, TypeError):
        value = None
    if not isinstance(value, dt.datetime) or not 1990 <= value.year <= 2100:
        raise ValueError(f"{raw!r} is a number, not a date: write YYYY-MM-DD or use a date cell")
    return value.date()


def _read_xlsx_header(
    ws: Worksheet, out: _Collector, epoch: dt.datetime, formulas: FormulaCells | None
) -> ReportHeader:
    """Label in column A, value in column B; column C onwards is free for notes."""
    fields: dict[str, tuple[object, int | None]] = {}
    names = {key: label("header", key) for key in ALIASES["header"]}
    for number, row in _xlsx_rows(ws, out, formulas):
        key = lookup("header", row[0])
        if key is None:
            known = "; ".join(names[k] for k in HEADER_FIELDS)
            raise out.error(
                f"unknown header field {_text(row[0])!r}: use one of {known}", ws.title, number, "A"
            )
        if key in fields:
            raise out.error(f"header field {names[key]!r} appears twice", ws.title, number, "A")
        if key != "field":
            fields[key] = (row[1] if len(row) > 1 else None, number)
    raw, row = fields.pop("template_version", (None, None))
    if _text(raw) and _text(raw) != str(TEMPLATE_VERSION):
        message = f"template version {_text(raw)!r}: this reader reads version {TEMPLATE_VERSION}"
        raise out.error(message, ws.title, row, "B")
    if "submission_date" in fields:
        raw, row = fields["submission_date"]
        date = out._convert(lambda r: _excel_serial_date(r, epoch), raw, ws.title, row, "B")
        fields["submission_date"] = (date, row)
    return out.header(fields, ws.title, names)


def _read_xlsx_table(
    ws: Worksheet, scope: str, add: Callable[..., None], out: _Collector, formulas: FormulaCells | None
) -> None:
    """The first non-empty row holds the column headings; every later non-empty row is data."""
    rows = _xlsx_rows(ws, out, formulas)
    first = next(rows, None)
    if first is None:
        return  # an empty sheet: nothing reported here
    heading_row, headings = first
    columns: dict[int, str] = {}
    names = {key: label(scope, key) for key in ALIASES[scope]}
    for index, heading in enumerate(headings):
        column = openpyxl.utils.get_column_letter(index + 1)
        if not _text(heading):
            continue
        key = lookup(scope, heading)
        if key is None:
            expected = "; ".join(names.values())
            raise out.error(
                f"unknown column {_text(heading)!r}: expected {expected}", ws.title, heading_row, column
            )
        if key in columns.values():
            raise out.error(f"column {names[key]!r} appears twice", ws.title, heading_row, column)
        columns[index] = key
        names[key] = _text(heading)
    for key in REQUIRED[scope]:
        if key not in columns.values():
            raise out.error(f"column {label(scope, key)!r} is missing", ws.title, heading_row)
    for number, row in rows:
        for index, cell in enumerate(row):
            if index not in columns and _text(cell):
                column = openpyxl.utils.get_column_letter(index + 1)
                raise out.error("a value stands in a column without a heading", ws.title, number, column)
        add({key: row[index] for index, key in columns.items() if index < len(row)}, ws.title, number, names)


# A CSV report is read in chunks of this many rows, each parsed and checked column by column
# (each distinct value once), so a million-row annex reads in seconds and memory stays flat.
CSV_CHUNK_ROWS = 100_000
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def _read_csv(path: Path, out: _Collector) -> ReportHeader:
    try:
        encoding = csv_encoding(path)  # UTF-8 (BOM or not) or plausible Windows-1251
    except UnsafeFile as exc:
        raise out.error(str(exc)) from None
    with path.open(encoding=encoding, newline="") as stream:
        reader = csv.reader(stream, strict=True)
        try:
            headings = next(reader, [])
        except csv.Error as exc:
            raise out.error(f"not readable as CSV ({exc})", row=1) from None
        if not any(h.strip() for h in headings) and not stream.read().strip():
            raise out.error("the file is empty")
        heading_lines = reader.line_num
    chunks = _CsvChunks(out, _csv_keys(headings, out), heading_lines)
    with path.open("rb") as raw:  # the fast reader pads a row cut short: see _CsvChunks.read_exact
        raw.seek(max(path.stat().st_size - 1, 0))
        ends_with_line_break = raw.read(1) in (b"\n", b"\r")
    if ends_with_line_break:
        chunks.read_fast(path, encoding)
    else:
        chunks.read_exact(path, encoding)
    if chunks.header is None:
        raise out.error("the report has no data rows: the file holds only the heading line")
    return chunks.header


def _csv_keys(headings: list[str], out: _Collector) -> list[str]:
    keys = [_norm(h).replace(" ", "_") for h in headings]
    for key, heading in zip(keys, headings, strict=True):
        if key not in CSV_COLUMNS:
            raise out.error(
                f"unknown column {heading.strip()!r}: expected {', '.join(CSV_COLUMNS)}",
                row=1,
                column=heading,
            )
        if keys.count(key) > 1:
            raise out.error(f"column {key!r} appears twice", row=1, column=heading)
    missing = [key for key in CSV_COLUMNS if key not in keys]
    if missing:
        raise out.error(f"column(s) missing: {', '.join(missing)}", row=1)
    return keys


class _CsvColumn:
    """One column of a chunk: its distinct values in order of first appearance (``text``,
    formula escapes undone) and, per row, which of them it holds (``codes``). Every rule is
    applied once per distinct value, then spread to the rows."""

    def __init__(self, values: pd.Series) -> None:
        self.codes, uniques = pd.factorize(values.to_numpy(dtype=object))
        self.raw: list[str] = uniques.tolist()
        # All distinct values in one string (NUL never occurs: refused before), searched at C
        # speed: most columns hold no formula escape, line break or mojibake at all.
        self.joined = "\x00" + "\x00".join(self.raw)
        escaped = "\x00'" in self.joined
        self.text = (
            [unescape_formula(u) for u in self.raw] if escaped else self.raw
        )  # "'=1+2" from write_report

    def line_breaks(self) -> np.ndarray | None:
        """Per row, the line breaks inside its (quoted) value; None if there are none."""
        if "\n" not in self.joined and "\r" not in self.joined:
            return None
        return np.asarray([len(_LINE_BREAKS.findall(u)) for u in self.raw], dtype=np.int64)[self.codes]

    def rows(self, per_value: list[bool] | np.ndarray) -> np.ndarray:
        return np.asarray(per_value, dtype=bool)[self.codes]

    def value(self, at: int) -> str:
        return self.text[self.codes[at]]

    def mojibake(self) -> dict[int, str]:
        """{value index: reason} for the distinct values damaged by a wrong code page."""
        if not re.search(MOJIBAKE_MARKERS, self.joined):
            return {}
        return {i: reason for i, text in enumerate(self.text) if (reason := mojibake_reason(text))}

    def parse(
        self, func: Callable[[str], Any], done: np.ndarray | None = None
    ) -> tuple[list, dict[int, str]]:
        """func applied to each distinct value: (results, {value index: error}); values
        flagged in ``done`` are already in parsed form and kept as they are."""
        results, errors = [], {}
        for i, text in enumerate(self.text):
            if done is not None and done[i]:
                results.append(text)
                continue
            try:
                results.append(func(text))
            except ValueError as exc:
                results.append(None)
                errors[i] = str(exc)
        return results, errors

    def spread(self, results: list, rows: np.ndarray) -> np.ndarray:
        return np.asarray(results, dtype=object)[self.codes[rows]]


class _CsvChunks:
    """Reads the data rows of a CSV report chunk by chunk into the collector."""

    def __init__(self, out: _Collector, keys: list[str], heading_lines: int) -> None:
        self.out, self.keys = out, keys
        self.names = {key: key for key in CSV_COLUMNS} | {
            "indicator_code": "code",
            "measure_code": "code",
            "narrative": "comment",
        }
        self.header: ReportHeader | None = None
        self.first_values: dict[str, str] = {}
        self.heading_lines = heading_lines
        self.next_line = heading_lines + 1  # the line the next data row starts on

    def read_fast(self, path: Path, encoding: str) -> None:
        """pandas' C reader: fast, but it pads a row with too few fields with empty ones, so it
        is used only for files that end with a line break. A row cut short anywhere else
        reads as a row whose last fields are empty, which the rules treat the same way (an
        empty value is "not reported") or refuse (the fields after the gap shift into the
        wrong columns and fail their rules)."""
        frames = pd.read_csv(
            path,
            encoding=encoding,
            header=0,
            names=self.keys,
            dtype=object,
            na_filter=False,
            skip_blank_lines=False,
            chunksize=CSV_CHUNK_ROWS,
            engine="c",
        )
        try:
            for chunk in frames:
                self.add(chunk.reset_index(drop=True))
        except pd.errors.ParserError:
            # A row with too many fields or a quote left open: read again with the exact
            # reader, which names the line (pandas counts records, not lines) and the reason.
            self.out.frames = {part: [] for part in self.out.frames}
            self.out.rows, self.header, self.next_line = 0, None, self.heading_lines + 1
            self.read_exact(path, encoding)

    def read_exact(self, path: Path, encoding: str) -> None:
        """Python's csv module: every row's field count is checked; slower (for files that do
        not end with a line break: a file cut short in its last row is one of them)."""
        with path.open(encoding=encoding, newline="") as stream:
            reader = csv.reader(stream, strict=True)
            next(reader)
            rows: list[list[str]] = []
            lines: list[int] = []
            line = reader.line_num
            try:
                for cells in reader:
                    number, line = line + 1, reader.line_num  # a quoted field may span lines: name the first
                    if not any(cell.strip() for cell in cells):
                        continue
                    if len(cells) != len(self.keys):
                        self._flush(rows, lines)
                        raise self.out.error(
                            f"the row has {len(cells)} fields, the heading {len(self.keys)}", row=number
                        )
                    rows.append(cells)
                    lines.append(number)
                    if len(rows) == CSV_CHUNK_ROWS:
                        self._flush(rows, lines)
            except csv.Error as exc:
                self._flush(rows, lines)
                raise self._unreadable(str(exc), reader.line_num) from None
            self._flush(rows, lines)

    def _flush(self, rows: list[list[str]], lines: list[int]) -> None:
        if rows:
            self.add(pd.DataFrame(rows, columns=self.keys, dtype=object), np.asarray(lines))
            rows.clear()
            lines.clear()

    def _unreadable(self, reason: str, row: int | None) -> ReportFormatError:
        return self.out.error(
            f"not readable as CSV ({reason}): the file may be cut short or a quote is not closed", row=row
        )

    def add(self, chunk: pd.DataFrame, lines: np.ndarray | None = None) -> None:
        """Check one chunk, then hand its rows to the collector. The rules are those of the
        row-by-row readers, applied per distinct value; the first problem in file order
        (and, within a row, in rule order) is refused, naming its row and column."""
        if chunk.empty:
            return
        cols = {key: _CsvColumn(chunk[key]) for key in self.keys}
        if lines is None:  # rows as the fast reader returns them: count the lines they span
            lines = self._lines(len(chunk), [b for c in cols.values() if (b := c.line_breaks()) is not None])
        blank = np.logical_and.reduce([c.rows([not t.strip() for t in c.raw]) for c in cols.values()])
        if self.header is None and not blank.all():
            first = int(np.argmax(~blank))
            self.first_values = {k: cols[k].text[cols[k].codes[first]].strip() for k in HEADER_FIELDS}
            fields = {k: (v or None, int(lines[first])) for k, v in self.first_values.items()}
            self.header = self.out.header(fields, "", self.names)
        found = _Problems(blank)
        for key in HEADER_FIELDS:
            column, expected = cols[key], self.first_values.get(key)
            found.where(
                column.rows([t.strip() != expected for t in column.text]),
                lambda at, key=key, column=column: (
                    f"{key} is {column.value(at).strip()!r} here but {self.first_values[key]!r} above: "
                    "one file carries one report"
                ),
                key,
            )
        parts = [lookup("part", t) for t in cols["part"].text]
        indicator = cols["part"].rows([p == "indicator" for p in parts])
        measure = cols["part"].rows([p == "measure" for p in parts])
        data = indicator | measure
        found.where(~data, lambda at: f"part {cols['part'].value(at)!r} is neither "
                    "'indicator' nor 'measure'", "part")  # fmt: skip
        for key, rows, part in (("status", indicator, "indicator"), ("disaggregation", measure, "measure"),
                                ("value", measure, "measure")):  # fmt: skip
            filled = rows & cols[key].rows([bool(t.strip()) for t in cols[key].text])
            found.where(
                filled, lambda at, key=key, part=part: f"{part} rows have no {key}: leave it empty", key
            )
        for key, column in cols.items():
            found.errors(data, column, column.mojibake(), self.names.get(key, key))
        code = cols["code"]
        indicator_codes = [t.strip().upper() for t in code.text]
        measure_codes = [t.strip() for t in code.text]
        found.where(
            indicator & code.rows([not c for c in indicator_codes]),
            lambda at: "indicator code is missing",
            "code",
        )
        found.where(
            measure & code.rows([not c for c in measure_codes]), lambda at: "measure code is missing", "code"
        )
        values = found.parsed(indicator, cols["value"], parse_count, "value")
        canonical = np.fromiter(
            (CANONICAL_DISAGGREGATION.fullmatch(t) is not None for t in cols["disaggregation"].text),
            dtype=bool,
        )
        disaggregations = found.parsed(
            indicator, cols["disaggregation"], parse_disaggregation, "disaggregation", canonical
        )
        statuses = found.parsed(measure, cols["status"], parse_status, "status")
        if found.first is not None:
            at, _, message, column = found.first
            raise self.out.error(message, row=int(lines[at]), column=column)
        self.out.count_rows(int(data.sum()), int(lines[-1]))
        comments = [_text(t) for t in cols["comment"].text]
        if indicator.any():
            value = pd.array(values, dtype="Int64")
            table = {
                "source_row": lines[indicator],
                "indicator_code": code.spread(indicator_codes, indicator),
                "disaggregation": disaggregations,
                "value": value,
                "is_reported": ~value.isna(),
                "comment": cols["comment"].spread(comments, indicator),
            }
            self.out.add_frame("indicator", pd.DataFrame(table).assign(source_sheet="")[INDICATOR_COLUMNS])
        if measure.any():
            table = {
                "source_row": lines[measure],
                "measure_code": code.spread(measure_codes, measure),
                "status": statuses,
                "narrative": cols["comment"].spread(comments, measure),
            }
            self.out.add_frame("measure", pd.DataFrame(table).assign(source_sheet="")[MEASURE_COLUMNS])

    def _lines(self, rows: int, breaks: list[np.ndarray]) -> np.ndarray:
        """The line each row starts on: a row follows the line breaks inside the previous one."""
        inside = np.sum(breaks, axis=0) if breaks else np.zeros(rows, dtype=np.int64)
        lines = self.next_line + np.arange(rows) + np.concatenate(([0], np.cumsum(inside)[:-1]))
        self.next_line = int(lines[-1] + inside[-1] + 1)
        return lines


class _Problems:
    """The problems found in a chunk; keeps the first in file order (then rule order)."""

    def __init__(self, blank: np.ndarray) -> None:
        self.blank = blank  # blank rows are skipped, never refused
        self.first: tuple[int, int, str, str] | None = None  # (row in chunk, rule order, message, column)
        self.rule = 0

    def where(self, rows: np.ndarray, message: Callable[[int], str], column: str) -> None:
        self.rule += 1
        rows = rows & ~self.blank
        if rows.any():
            at = int(np.argmax(rows))
            if self.first is None or (at, self.rule) < self.first[:2]:
                self.first = (at, self.rule, message(at), column)

    def errors(self, rows: np.ndarray, column: _CsvColumn, errors: dict[int, str], name: str) -> None:
        """Refuse the rows (among ``rows``) holding a distinct value that has an error."""
        bad = np.zeros(len(column.text), dtype=bool)
        bad[list(errors)] = True
        self.where(rows & column.rows(bad), lambda at: errors[column.codes[at]], name)

    def parsed(self, rows, column: _CsvColumn, func, name: str, done: np.ndarray | None = None) -> np.ndarray:
        """``func`` of the column for ``rows``; a value it refuses is a problem."""
        results, errors = column.parse(func, done)
        self.errors(rows, column, errors, name)
        return column.spread(results, rows)


def _read_json(path: Path, out: _Collector) -> ReportHeader:
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise out.error(f"not UTF-8 text (byte {exc.start}): save the JSON as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise out.error(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(doc, dict):
        raise out.error(
            "the JSON must be an object with template_version, header, indicator_values, measures"
        )
    sections = ("template_version", "header", "indicator_values", "measures")
    for key in doc:
        if key not in sections:
            raise out.error(f"unknown key {key!r}: expected {', '.join(sections)}", column=key)
    if doc.get("template_version") != TEMPLATE_VERSION:
        raise out.error(f"template_version must be {TEMPLATE_VERSION}", column="template_version")
    head = doc.get("header")
    if not isinstance(head, dict):
        raise out.error("header must be an object with " + ", ".join(HEADER_FIELDS), column="header")
    for key in head:
        if key not in HEADER_FIELDS:
            raise out.error(
                f"unknown header key {key!r}: expected {', '.join(HEADER_FIELDS)}", "header", column=key
            )
    fields = {key: (value, None) for key, value in head.items()}
    header = out.header(fields, "header", {key: key for key in HEADER_FIELDS})
    for section, keys, add in (
        ("indicator_values", JSON_INDICATOR_KEYS, out.indicator),
        ("measures", JSON_MEASURE_KEYS, out.measure),
    ):
        items = doc.get(section, [])
        if not isinstance(items, list):
            raise out.error(f"{section} must be an array of objects", column=section)
        names = {key: key for key in keys}
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise out.error("each entry must be an object", section, number)
            for key in item:
                if key not in keys:
                    raise out.error(f"unknown key {key!r}: expected {', '.join(keys)}", section, number, key)
            required = REQUIRED["indicator" if section == "indicator_values" else "measure"]
            for key in required:
                if key not in item:
                    raise out.error(
                        f"key {key!r} is missing (use null for a value not reported)", section, number, key
                    )
            add(item, section, number, names)
    return header


# --- writing ------------------------------------------------------------------------------


def _rows(table: list[dict] | pd.DataFrame, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Plain dicts with the given keys; pandas NA / NaN values become None."""
    records = table.to_dict("records") if isinstance(table, pd.DataFrame) else list(table)
    clean = []
    for record in records:
        row = {}
        for key in columns:
            value = record.get(key)
            row[key] = None if value is None or (not isinstance(value, str) and pd.isna(value)) else value
        clean.append(row)
    return clean


def _indicator_rows(table: list[dict] | pd.DataFrame) -> list[dict[str, Any]]:
    rows = _rows(table, JSON_INDICATOR_KEYS)
    for row in rows:
        row["value"] = None if row["value"] is None else int(row["value"])
        row["disaggregation"] = row["disaggregation"] or TOTAL
        row["comment"] = row["comment"] or ""
    return rows


def _measure_rows(table: list[dict] | pd.DataFrame) -> list[dict[str, Any]]:
    rows = _rows(table, JSON_MEASURE_KEYS)
    for row in rows:
        row["narrative"] = row["narrative"] or ""
    return rows


def write_report(
    header: ReportHeader,
    indicator_values: list[dict] | pd.DataFrame,
    measures: list[dict] | pd.DataFrame,
    path: Path,
    fmt: str,
) -> Path:
    """Write a report as template version 1 in "xlsx", "csv" or "json"; returns the path.

    indicator_values: rows with indicator_code, disaggregation, value (int or None = not
    reported), comment; measures: rows with measure_code, status, narrative. A
    ``ParsedReport``'s tables are accepted as they are.
    """
    fmt = fmt.lower().lstrip(".")
    path = Path(path)
    values, actions = _indicator_rows(indicator_values), _measure_rows(measures)
    if fmt == "xlsx":
        workbook = _workbook(header, values, actions, header.programme_code, header.reporting_year)
        save_workbook(workbook, path, dt.datetime.combine(header.submission_date, dt.time()))
    elif fmt == "csv":
        _write_csv(header, values, actions, path)
    elif fmt == "json":
        _write_json(header, values, actions, path)
    else:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return path


def _header_values(header: ReportHeader) -> dict[str, Any]:
    return {
        "state": header.state_code,
        "authority": header.authority,
        "programme": header.programme_code,
        "reporting_year": header.reporting_year,
        "submission_date": header.submission_date.isoformat(),
        "version": header.version,
    }


def _write_csv(header: ReportHeader, values: list[dict], actions: list[dict], path: Path) -> None:
    head = {key: escape_formula(v) if isinstance(v, str) else v for key, v in _header_values(header).items()}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in values:
        value = "" if row["value"] is None else row["value"]
        writer.writerow(
            [
                *head.values(),
                "indicator",
                escape_formula(row["indicator_code"]),
                escape_formula(row["disaggregation"]),
                value,
                "",
                escape_formula(row["comment"]),
            ]
        )
    for row in actions:
        writer.writerow(
            [
                *head.values(),
                "measure",
                escape_formula(row["measure_code"]),
                "",
                "",
                escape_formula(row["status"]),
                escape_formula(row["narrative"]),
            ]
        )
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _write_json(header: ReportHeader, values: list[dict], actions: list[dict], path: Path) -> None:
    doc = {
        "template_version": TEMPLATE_VERSION,
        "header": _header_values(header),
        "indicator_values": values,
        "measures": actions,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _put(ws: Worksheet, row: int, column: int, value: object) -> None:
    """Write a cell; text that Excel would take for a formula (= + - @, tab, CR) stays text.

    XLSX has the escape built in: a text cell with the "quote prefix" style is exactly what
    Excel stores when one types '=1+2 (the value is "=1+2", shown and kept as text, never
    evaluated, also after editing the cell). So the value itself needs no added quote."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and needs_formula_escape(value):
        cell.data_type = "s"
        cell.quotePrefix = True


def _heading(ws: Worksheet, scope: str, keys: tuple[str, ...], widths: tuple[int, ...]) -> None:
    for column, (key, width) in enumerate(zip(keys, widths, strict=True), start=1):
        _put(ws, 1, column, label(scope, key))
        ws.cell(row=1, column=column).font = Font(bold=True)
        ws.column_dimensions[openpyxl.utils.get_column_letter(column)].width = width
    ws.freeze_panes = "A2"


INSTRUCTIONS = (
    "Шаблон отчёта государства – участника, версия 1 / Member-state report template, version 1",
    "",
    "Лист «Отчёт | Report»: заполните все поля (государство – код ISO, например KZ). / "
    "Fill in every header field (state as ISO code, e.g. KZ).",
    "Лист «Показатели | Indicators»: одна строка на значение. Пустая ячейка или «не представлено» / "
    "«н/д» / «not reported» = значение не представлено (это НЕ ноль). Ноль пишите как 0. / "
    "One row per value. Empty, 'не представлено', 'н/д' or 'not reported' = not reported (NOT zero); "
    "write zero as 0.",
    "Разбивка: пусто или total = итог; иначе «измерение=значение», например sex=female, "
    "operation=PRV-2014-01. / Disaggregation: empty or 'total', else 'dimension=value'.",
    "Лист «Мероприятия | Measures»: статус – выполнено / выполняется / не выполнено / перенесено "
    "(implemented / in progress / not implemented / postponed).",
    "Перечень мероприятий программы в этом шаблоне носит иллюстративный характер: реальные тексты "
    "мероприятий не опубликованы. / The programme measure registry in this template is ILLUSTRATIVE: "
    "the real measure texts are not public.",
)


def _workbook(
    header: ReportHeader | None,
    values: list[dict],
    actions: list[dict],
    programme_code: str,
    year: int,
) -> openpyxl.Workbook:
    """The template workbook; ``header`` None gives the blank form for programme and year."""
    reference = load_reference()
    indicator_names = dict(
        zip(reference.indicators.indicator_code, reference.indicators.name_ru, strict=True)
    )
    measures = reference.measures[reference.measures.programme_code == programme_code]
    measure_texts = dict(zip(measures.measure_code, measures.text_ru, strict=True))

    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = label("sheet", "report")
    _heading(ws, "header", ("field",), (34,))
    _put(ws, 1, 2, "Значение / Value")
    _put(ws, 1, 3, "Подсказка / Hint")
    ws.column_dimensions["B"].width, ws.column_dimensions["C"].width = 48, 40
    hints = {
        "state": "код ISO, например KZ / ISO code, e.g. KZ",
        "submission_date": "ГГГГ-ММ-ДД / YYYY-MM-DD",
        "version": "1 – первичный, 2… – исправленный / 1 = first, 2… = correction",
    }
    if header is None:
        head: dict[str, Any] = {"programme": programme_code, "reporting_year": year, "version": 1}
    else:
        head = _header_values(header) | {"submission_date": header.submission_date}
    for row, key in enumerate((*HEADER_FIELDS, "template_version"), start=2):
        _put(ws, row, 1, label("header", key))
        _put(ws, row, 2, TEMPLATE_VERSION if key == "template_version" else head.get(key))
        if key == "submission_date":
            ws.cell(row=row, column=2).number_format = "yyyy-mm-dd"
        _put(ws, row, 3, hints.get(key, ""))

    ws = workbook.create_sheet(label("sheet", "indicators"))
    _heading(ws, "indicator", XLSX_INDICATOR_COLUMNS, (16, 50, 32, 14, 50))
    for row, item in enumerate(values, start=2):
        cells = (
            item["indicator_code"],
            indicator_names.get(item["indicator_code"], ""),
            item["disaggregation"],
            item["value"],
            item["comment"],
        )
        for column, value in enumerate(cells, start=1):
            _put(ws, row, column, value)

    ws = workbook.create_sheet(label("sheet", "measures"))
    _heading(ws, "measure", XLSX_MEASURE_COLUMNS, (16, 60, 32, 60))
    for row, item in enumerate(actions, start=2):
        cells = (
            item["measure_code"],
            measure_texts.get(item["measure_code"], ""),
            item["status"],
            item["narrative"],
        )
        for column, value in enumerate(cells, start=1):
            _put(ws, row, column, value)
    statuses = ",".join(label("status", key) for key in ALIASES["status"])
    validation = DataValidation(type="list", formula1=f'"{statuses}"', allow_blank=True)
    validation.error = "выберите статус из списка / choose a status from the list"
    ws.add_data_validation(validation)
    validation.add(f"C2:C{max(len(actions) + 1, 200)}")

    ws = workbook.create_sheet(label("sheet", "instructions"))
    ws.column_dimensions["A"].width = 120
    for row, line in enumerate(INSTRUCTIONS, start=1):
        _put(ws, row, 1, line)
        ws.cell(row=row, column=1).alignment = Alignment(wrap_text=True)
    return workbook


def save_workbook(workbook: openpyxl.Workbook, path: Path, timestamp: dt.datetime) -> None:
    """Save with fixed timestamps (document properties and zip entries) so the bytes are reproducible."""
    workbook.properties.creator = "programme_monitoring report template v1"
    workbook.properties.created = timestamp
    buffer = io.BytesIO()
    workbook.save(buffer)  # sets properties.modified to the wall clock: replaced below
    stamp = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)


def write_blank_template(programme_code: str, year: int, path: Path) -> Path:
    """A blank bilingual XLSX for one programme and year, prefilled with the indicators
    reportable then (one "total" row each) and the measures due that year."""
    reference = load_reference()
    programme_code = programme_code.upper()
    if programme_code not in reference.programme_codes:
        raise ValueError(
            f"unknown programme {programme_code!r}: use one of {sorted(reference.programme_codes)}"
        )
    reportable = reference.reportable_indicators(programme_code, year)
    codes = [code for code in reference.indicators.indicator_code if code in reportable]
    values = [{"indicator_code": c, "disaggregation": TOTAL, "value": None, "comment": ""} for c in codes]
    due = reference.measures_due(programme_code, year)
    registry = reference.measures[reference.measures.programme_code == programme_code].measure_code
    actions = [{"measure_code": code, "status": "", "narrative": ""} for code in registry if code in due]
    workbook = _workbook(None, values, actions, programme_code, year)
    save_workbook(workbook, Path(path), dt.datetime(year + 1, 1, 1))
    return Path(path)
