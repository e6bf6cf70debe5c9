"""The XLSX reader of report template version 1: the workbook a ministry fills in.

Only after ``file_safety.inspect_xlsx`` has checked the container (zip bomb, DTD, damage)
does openpyxl open the workbook, read-only, by saved values. Sheets and columns are found
by their label in any accepted spelling (``labels``); row numbers are the spreadsheet's own.
Refused here, as what only a workbook can hold: hidden sheets named like the report's,
merged cells, formulas without a saved result, values in a column without a heading.
"""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.worksheet import Worksheet

from programme_monitoring.report_format.collector import Collector
from programme_monitoring.report_format.file_safety import SheetPart, UnsafeFile, inspect_xlsx
from programme_monitoring.report_format.labels import ALIASES, HEADER_FIELDS, REQUIRED, label, lookup
from programme_monitoring.report_format.records import TEMPLATE_VERSION, ReportHeader
from programme_monitoring.report_format.values import cell_text

# Sheets the reader reads. A hidden sheet named like one of them is refused (its data would
# be loaded without anyone having seen it); other hidden sheets are ignored like any other
# sheet with a name of its own.
READ_SHEETS = ("report", "indicators", "measures")
FormulaCells = dict[int, list[tuple[int, str]]]  # row -> [(column, formula)]


def read_xlsx(path: Path, out: Collector) -> ReportHeader:
    """Hand the workbook's header and rows to ``out``; returns the header."""
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
        header = _read_header(sheets["report"], out, workbook.epoch, formulas.get(sheets["report"].title))
        for key, scope, add in (
            ("indicators", "indicator", out.indicator),
            ("measures", "measure", out.measure),
        ):
            if key in sheets:
                _read_table(sheets[key], scope, add, out, formulas.get(sheets[key].title))
        return header
    except (zipfile.BadZipFile, zlib.error, EOFError, ParseError) as exc:
        raise out.error(f"the workbook cannot be read ({type(exc).__name__}: {exc}): send it again") from None
    finally:
        workbook.close()


def _rows(
    ws: Worksheet, out: Collector, formulas: FormulaCells | None = None
) -> Iterator[tuple[int, tuple[object, ...]]]:
    """(spreadsheet row number, cell values) for every row that is not entirely empty.

    A formula cell whose result was never saved reads as empty: refused, naming the cell,
    before the row could be skipped as empty or read as "not reported"."""
    ws.reset_dimensions()  # the stored dimension may be wrong in files from other tools
    formulas = formulas or {}
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        for column, formula in formulas.get(number, ()):
            if column > len(row) or row[column - 1] is None:
                letter = get_column_letter(column)
                raise out.error(
                    f"cell {letter}{number} holds the formula {formula!r} but no saved result: open the "
                    "file in Excel, let it calculate and save it, or type the value instead of the formula",
                    ws.title,
                    number,
                    letter,
                )
        if any(cell_text(cell) for cell in row):
            yield number, row


def _check_merged(sheet: SheetPart, key: str, out: Collector) -> None:
    """Merged cells keep only the top-left value: refused in the sheets read, except in the
    notes columns (C onwards) of the header sheet."""
    for ref in sheet.merged:
        try:
            min_col, min_row, _max_col, _max_row = range_boundaries(ref)
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
            get_column_letter(min_col),
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


def _read_header(
    ws: Worksheet, out: Collector, epoch: dt.datetime, formulas: FormulaCells | None
) -> ReportHeader:
    """Label in column A, value in column B; column C onwards is free for notes."""
    fields: dict[str, tuple[object, int | None]] = {}
    names = {key: label("header", key) for key in ALIASES["header"]}
    for number, row in _rows(ws, out, formulas):
        key = lookup("header", row[0])
        if key is None:
            known = "; ".join(names[k] for k in HEADER_FIELDS)
            raise out.error(
                f"unknown header field {cell_text(row[0])!r}: use one of {known}", ws.title, number, "A"
            )
        if key in fields:
            raise out.error(f"header field {names[key]!r} appears twice", ws.title, number, "A")
        if key != "field":
            fields[key] = (row[1] if len(row) > 1 else None, number)
    raw, row = fields.pop("template_version", (None, None))
    if cell_text(raw) and cell_text(raw) != str(TEMPLATE_VERSION):
        message = f"template version {cell_text(raw)!r}: this reader reads version {TEMPLATE_VERSION}"
        raise out.error(message, ws.title, row, "B")
    if "submission_date" in fields:
        raw, row = fields["submission_date"]
        date = out.convert(lambda r: _excel_serial_date(r, epoch), raw, ws.title, row, "B")
        fields["submission_date"] = (date, row)
    return out.header(fields, ws.title, names)


def _read_table(
    ws: Worksheet, scope: str, add: Callable[..., None], out: Collector, formulas: FormulaCells | None
) -> None:
    """The first non-empty row holds the column headings; every later non-empty row is data."""
    rows = _rows(ws, out, formulas)
    first = next(rows, None)
    if first is None:
        return  # an empty sheet: nothing reported here
    heading_row, headings = first
    columns: dict[int, str] = {}
    names = {key: label(scope, key) for key in ALIASES[scope]}
    for index, heading in enumerate(headings):
        column = get_column_letter(index + 1)
        if not cell_text(heading):
            continue
        key = lookup(scope, heading)
        if key is None:
            expected = "; ".join(names.values())
            raise out.error(
                f"unknown column {cell_text(heading)!r}: expected {expected}", ws.title, heading_row, column
            )
        if key in columns.values():
            raise out.error(f"column {names[key]!r} appears twice", ws.title, heading_row, column)
        columns[index] = key
        names[key] = cell_text(heading)
    for key in REQUIRED[scope]:
        if key not in columns.values():
            raise out.error(f"column {label(scope, key)!r} is missing", ws.title, heading_row)
    for number, row in rows:
        for index, cell in enumerate(row):
            if index not in columns and cell_text(cell):
                column = get_column_letter(index + 1)
                raise out.error("a value stands in a column without a heading", ws.title, number, column)
        add({key: row[index] for index, key in columns.items() if index < len(row)}, ws.title, number, names)
