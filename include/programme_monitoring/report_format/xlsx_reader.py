"""The XLSX reader of report template version 1: the workbook a ministry fills in.

Only after ``file_safety.inspect_xlsx`` has checked the container (zip bomb, DTD, damage)
does openpyxl open the workbook, read-only, by saved values. Sheets and columns are found
by their label in any accepted spelling (``labels``); row numbers are the spreadsheet's own.
Only columns A to Z are read (``XLSX_MAX_COLUMNS``), whatever the sheet's declared
dimension, so reading time is bounded by the file's size; a value beyond is refused.
Refused here, as what only a workbook can hold: hidden sheets named like the report's,
hidden rows or columns holding data, merged cells, formulas in the cells read (their saved
result cannot be checked), values in a column without a heading.
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
from programme_monitoring.report_format.file_safety import (
    XLSX_MAX_COLUMNS,
    SheetPart,
    UnsafeFile,
    inspect_xlsx,
)
from programme_monitoring.report_format.labels import ALIASES, HEADER_FIELDS, REQUIRED, label, lookup
from programme_monitoring.report_format.records import (
    TEMPLATE_VERSION,
    Refusal,
    ReportFormatError,
    ReportHeader,
)
from programme_monitoring.report_format.values import cell_text, parse_date

# Sheets the reader reads. A hidden sheet named like one of them is refused (its data would
# be loaded without anyone having seen it); other hidden sheets are ignored like any other
# sheet with a name of its own.
READ_SHEETS = ("report", "indicators", "measures")
FormulaCells = dict[int, list[tuple[int, str]]]  # row -> [(column, formula)]
HEADER_COLUMNS = 2  # the header sheet: label in A, value in B; C onwards is free for notes


def read_xlsx(path: Path, out: Collector) -> ReportHeader:
    """Hand the workbook's header and rows to ``out``; returns the header."""
    try:
        layout = inspect_xlsx(path)  # zip bomb, DTD / entities, truncation: before openpyxl opens it
    except UnsafeFile as exc:
        raise out.error(str(exc), _unsafe_ru(str(exc))) from None
    read: dict[str, SheetPart] = {}
    for sheet in layout.sheets:
        key = lookup("sheet", sheet.name)
        if key in READ_SHEETS:
            if sheet.state != "visible":
                raise out.error(
                    f"the sheet is {sheet.state}: a hidden sheet named like the report's sheets would be "
                    "read without anyone seeing it; unhide it (right-click a sheet tab > Unhide) or "
                    "delete it",
                    "лист скрыт: скрытый лист с именем листа отчёта был бы прочитан незаметно для "
                    "всех; отобразите его (правый щелчок по ярлыку листа > Показать) или удалите",
                    sheet.name,
                )
            _check_merged(sheet, key, out)
            _check_far_value(sheet, key, out)
            read[sheet.name] = sheet
    try:
        formulas = _formula_cells(path, [sheet for sheet in read.values() if sheet.has_formulas])
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise out.error(
            f"not a readable .xlsx workbook ({type(exc).__name__}): save it as Excel .xlsx",
            f"файл не читается как книга .xlsx ({type(exc).__name__}): сохраните его в формате Excel .xlsx",
        ) from None
    try:
        sheets: dict[str, Worksheet] = {}
        for ws in workbook.worksheets:
            key = lookup("sheet", ws.title)
            if key in sheets:
                raise out.error(
                    f"two sheets are named as {label('sheet', key)!r}: keep one",
                    f"два листа названы {label('sheet', key)!r}: оставьте один",
                    ws.title,
                )
            if key:
                sheets[key] = ws
        for key in ("report", "indicators"):
            if key not in sheets:
                found = ", ".join(repr(ws.title[:40]) for ws in workbook.worksheets[:20])
                raise out.error(
                    f"sheet {label('sheet', key)!r} is missing (sheets found: {found})",
                    f"нет листа {label('sheet', key)!r} (найдены листы: {found})",
                )
        report = sheets["report"]
        header = _read_header(
            _Sheet(report, read.get(report.title), formulas.get(report.title)), out, workbook.epoch
        )
        for key, scope, add in (
            ("indicators", "indicator", out.indicator),
            ("measures", "measure", out.measure),
        ):
            if key in sheets:
                ws = sheets[key]
                _read_table(_Sheet(ws, read.get(ws.title), formulas.get(ws.title)), scope, add, out)
        return header
    except ReportFormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        # openpyxl on a cell it cannot convert (a number cell holding text, a bad date)
        raise out.error(
            f"a cell of the workbook cannot be read ({type(exc).__name__}): the workbook is damaged or "
            "was not written by a spreadsheet program; open it in Excel and save it again",
            f"ячейка книги не читается ({type(exc).__name__}): книга повреждена или записана не "
            "табличным редактором; откройте её в Excel и сохраните заново",
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, ParseError) as exc:
        raise out.error(
            f"the workbook cannot be read ({type(exc).__name__}): send it again",
            f"книга не читается ({type(exc).__name__}): направьте её повторно",
        ) from None
    finally:
        workbook.close()


def _unsafe_ru(reason: str) -> str:
    """The Russian refusal of a workbook refused by ``inspect_xlsx`` (its reason is English)."""
    if "encrypted" in reason or "password" in reason or ".xls " in reason:
        return "книга защищена паролем или это старый файл .xls: сохраните её как .xlsx без пароля"
    if "zip bomb" in reason or "inflate" in reason or "parts" in reason:
        return "книга распаковывается в недопустимо большой объём: это не отчёт; файл отклонён до открытия"
    if "DTD" in reason:
        return "в XML книги есть DTD или сущности XML (в книгах Excel их нет): файл отклонён до открытия"
    if "hidden rows" in reason:
        return "на листе недопустимо много скрытых строк: это не отчёт"
    if "not an Excel workbook" in reason:
        return "файл — zip-архив, но не книга Excel: сохраните его в формате Excel .xlsx"
    return "книга неполна или повреждена (обрезанный или испорченный архив): направьте файл повторно"


class _Sheet:
    """A worksheet with what the container scan found in it (hidden rows and columns) and
    its formula cells."""

    def __init__(self, ws: Worksheet, part: SheetPart | None, formulas: FormulaCells | None) -> None:
        self.ws, self.title = ws, ws.title
        self.hidden_rows = part.hidden_rows if part else frozenset()
        self.hidden_columns = part.hidden_columns if part else ()
        self.formulas = formulas or {}

    def column_hidden(self, column: int) -> bool:
        return any(first <= column <= last for first, last in self.hidden_columns)


def _rows(sheet: _Sheet, out: Collector, read_columns: int) -> Iterator[tuple[int, tuple[object, ...]]]:
    """(spreadsheet row number, cell values of columns A to Z) for every row that is not
    entirely empty and raised no problem.

    Refused, naming the cell: a formula in one of the first ``read_columns`` columns (its
    saved result cannot be checked, and a formula without one reads as empty); a value in a
    hidden row or column (it would be loaded without anyone having seen it)."""
    ws = sheet.ws
    ws.reset_dimensions()  # the stored dimension may be wrong in files from other tools
    for number, row in enumerate(ws.iter_rows(max_col=XLSX_MAX_COLUMNS, values_only=True), start=1):
        bad = False
        for column, formula in sheet.formulas.get(number, ()):
            if column <= read_columns:
                bad = True
                letter = get_column_letter(column)
                shown = formula if len(formula) <= 60 else formula[:60] + "…"
                out.problem(
                    f"the cell holds the formula {shown!r}: its saved result cannot be "
                    "checked; type the value itself (copy the cell, then Paste Special > Values)",
                    f"в ячейке формула {shown!r}: её сохранённый результат нельзя "
                    "проверить; введите само значение (скопируйте ячейку, затем Специальная вставка > "
                    "Значения)",
                    sheet.title,
                    number,
                    letter,
                )
        while row and row[-1] is None:  # openpyxl pads every row to XLSX_MAX_COLUMNS
            row = row[:-1]
        if not any(cell_text(cell) for cell in row):
            continue
        if number in sheet.hidden_rows:
            out.problem(
                "the row is hidden but holds data: unhide it (select the rows around it, right-click > "
                "Show) and check it, or delete it",
                "строка скрыта, но содержит данные: отобразите её (выделите соседние строки, правый "
                "щелчок > Показать) и проверьте, или удалите её",
                sheet.title,
                number,
            )
            continue
        for index, cell in enumerate(row[:read_columns] if sheet.hidden_columns else ()):
            if sheet.column_hidden(index + 1) and cell_text(cell):
                bad = True
                letter = get_column_letter(index + 1)
                out.problem(
                    "the column is hidden but holds data: unhide it (right-click the column headers > "
                    "Show) and check it, or delete it",
                    "столбец скрыт, но содержит данные: отобразите его (правый щелчок по заголовкам "
                    "столбцов > Показать) и проверьте, или удалите его",
                    sheet.title,
                    number,
                    letter,
                )
        if not bad:
            yield number, row


def _check_merged(sheet: SheetPart, key: str, out: Collector) -> None:
    """Merged cells keep only the top-left value: refused in the sheets read, except in the
    notes columns (C onwards) of the header sheet."""
    for ref in sheet.merged:
        try:
            min_col, min_row, _max_col, _max_row = range_boundaries(ref)
        except (TypeError, ValueError):
            raise out.error(
                f"merged range {ref!r} is malformed: the workbook is damaged",
                f"объединение ячеек {ref!r} повреждено: книга испорчена",
                sheet.name,
            ) from None
        if key == "report" and min_col > HEADER_COLUMNS:
            continue
        out.problem(
            f"cells {ref} are merged: a merged range keeps only its top-left value, so the others "
            "would be lost; unmerge them and fill in every cell",
            f"ячейки {ref} объединены: объединённый диапазон хранит только левое верхнее значение, "
            "остальные были бы потеряны; отмените объединение и заполните каждую ячейку",
            sheet.name,
            min_row,
            get_column_letter(min_col),
        )


def _check_far_value(sheet: SheetPart, key: str, out: Collector) -> None:
    """A value beyond column Z is never read: refused, rather than silently left out (the
    notes columns of the header sheet included)."""
    if sheet.far_value:
        column = sheet.far_value.rstrip("0123456789")
        out.problem(
            f"cell {sheet.far_value} holds a value beyond column {get_column_letter(XLSX_MAX_COLUMNS)}, "
            f"which is not read: the report uses columns A to E; move or delete it",
            f"в ячейке {sheet.far_value} значение за столбцом {get_column_letter(XLSX_MAX_COLUMNS)}, "
            "который не читается: отчёт занимает столбцы A–E; перенесите или удалите его",
            sheet.name,
            int(sheet.far_value[len(column) :]),
            column,
        )


def _formula_cells(path: Path, sheets: list[SheetPart]) -> dict[str, FormulaCells]:
    """Sheet name -> formula cells in columns A to Z, read with data_only=False (only for
    sheets that have any)."""
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
            for row in ws.iter_rows(max_col=XLSX_MAX_COLUMNS):
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        cells.setdefault(cell.row, []).append((cell.column, str(cell.value)))
    finally:
        workbook.close()
    return found


def _excel_date(raw: object, epoch: dt.datetime) -> dt.date:
    """A submission date: a date cell, text, or an Excel serial number (45000 = 2023-03-15)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return parse_date(raw)
    try:
        value = from_excel(raw, epoch)
    except (ValueError, OverflowError, TypeError):
        value = None
    if not isinstance(value, dt.datetime) or not 1990 <= value.year <= 2100:
        shown = raw if abs(raw) < 1e15 else "…"
        raise Refusal(
            f"{shown!r} is a number, not a date: write YYYY-MM-DD or use a date cell",
            f"{shown!r} — число, а не дата: укажите ГГГГ-ММ-ДД или используйте ячейку с датой",
        )
    return value.date()


def _read_header(sheet: _Sheet, out: Collector, epoch: dt.datetime) -> ReportHeader:
    """Label in column A, value in column B; column C onwards is free for notes."""
    fields: dict[str, tuple[object, int | None]] = {}
    names = {key: label("header", key) for key in ALIASES["header"]}
    for number, row in _rows(sheet, out, HEADER_COLUMNS):
        key = lookup("header", row[0])
        if key is None:
            known = "; ".join(names[k] for k in HEADER_FIELDS)
            shown = cell_text(row[0])[:60]
            out.problem(
                f"unknown header field {shown!r}: use one of {known}",
                f"неизвестное поле заголовка {shown!r}: укажите одно из: {known}",
                sheet.title,
                number,
                "A",
            )
            continue
        if key in fields:
            out.problem(
                f"header field {names[key]!r} appears twice: keep one",
                f"поле заголовка {names[key]!r} указано дважды: оставьте одно",
                sheet.title,
                number,
                "A",
            )
            continue
        if key != "field":
            fields[key] = (row[1] if len(row) > 1 else None, number)
    out.stop_if_problems()
    raw, row = fields.pop("template_version", (None, None))
    if cell_text(raw) and cell_text(raw) != str(TEMPLATE_VERSION):
        shown = cell_text(raw)[:20]
        raise out.error(
            f"template version {shown!r}: this reader reads version {TEMPLATE_VERSION}",
            f"версия шаблона {shown!r}: читается только версия {TEMPLATE_VERSION}",
            sheet.title,
            row,
            "B",
        )
    names = {key: names[key] for key in HEADER_FIELDS}
    return out.header(
        fields,
        sheet.title,
        names,
        columns={key: "B" for key in HEADER_FIELDS},
        parsers={"submission_date": lambda raw: _excel_date(raw, epoch)},
    )


def _read_table(sheet: _Sheet, scope: str, add: Callable[..., None], out: Collector) -> None:
    """The first non-empty row holds the column headings; every later non-empty row is data."""
    rows = _rows(sheet, out, XLSX_MAX_COLUMNS)
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
            shown = cell_text(heading)[:60]
            raise out.error(
                f"unknown column {shown!r}: expected {expected}",
                f"неизвестный столбец {shown!r}: ожидаются {expected}",
                sheet.title,
                heading_row,
                column,
            )
        if key in columns.values():
            raise out.error(
                f"column {names[key]!r} appears twice: keep one",
                f"столбец {names[key]!r} указан дважды: оставьте один",
                sheet.title,
                heading_row,
                column,
            )
        columns[index] = key
        names[key] = cell_text(heading)
    for key in REQUIRED[scope]:
        if key not in columns.values():
            raise out.error(
                f"column {label(scope, key)!r} is missing",
                f"нет столбца {label(scope, key)!r}",
                sheet.title,
                heading_row,
            )
    for number, row in rows:
        stray = [i for i, cell in enumerate(row) if i not in columns and cell_text(cell)]
        for index in stray:
            out.problem(
                "a value stands in a column without a heading: give the column a heading or delete the value",
                "значение в столбце без заголовка: озаглавьте столбец или удалите значение",
                sheet.title,
                number,
                get_column_letter(index + 1),
            )
        if not stray:
            add(
                {key: row[index] for index, key in columns.items() if index < len(row)},
                sheet.title,
                number,
                names,
            )
