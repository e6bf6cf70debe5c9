"""The XLSX annex of a Council report edition: every table as the mart rows, for statisticians.

A first sheet names the edition (year, as-of moment, when prepared, the previous edition,
whether the figures are synthetic, the query behind each table), then one sheet per
section with the mart's rows, then the report versions used and every figure revised
since the previous edition. Sheet names and column headers are in Russian and English
(the column labels the marts document, ``label_ru`` / ``label_en``); each sheet has its
header frozen and a filter on it, columns sized to their contents, counts with
thousands separators, years without, rates as percentages and dates as dates (in the
reader's own date format: Excel's built-in date formats follow the system's locale).

Numbers stay numbers and dates dates; text that a spreadsheet would take for a formula is
stored as text with Excel's quote prefix, by the project's one injection rule
(``report_format.file_safety.needs_formula_escape``). A text longer than a cell holds
(32,767 characters) is cut, marked at its end, and listed on the first sheet.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path
from typing import TYPE_CHECKING

from programme_monitoring.atomic_files import replacing
from programme_monitoring.publishing.labels import column_labels
from programme_monitoring.report_format.file_safety import needs_formula_escape

if TYPE_CHECKING:
    from programme_monitoring.publishing.council.editions import Edition

CELL_LIMIT = 32_767  # characters Excel keeps in one cell
CUT_MARK = " … [обрезано / truncated: {n} символов / characters]"
COUNT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.##"
RATE_FORMAT = "0.0%"
YEAR_FORMAT = "0"
DATE_FORMAT = "mm-dd-yy"  # Excel's built-in date format 14: shown in the reader's locale
MOMENT_FORMAT = "m/d/yy h:mm"  # built-in 22, likewise
MAX_WIDTH = 60
HEADER_WIDTH = 30

# Sheet names (at most 31 characters), Russian then English.
SHEETS = {
    "edition": "Издание · Edition",
    "headline": "Основные показатели · Headline",
    "implementation": "Мероприятия · Measures",
    "indicators": "Показатели · Indicators",
    "not_reported": "Не представлено · Not reported",
    "completeness": "Полнота · Completeness",
    "coverage": "Сопоставимость · Coverage",
    "findings": "Замечания · Findings",
    "finding_statuses": "Статусы замечаний · Statuses",
    "report_versions": "Версии отчётов · Versions",
    "revisions": "Изменения · Revisions",
    "unodc": "УНП ООН · UNODC",
    "approvals": "Утверждение · Approval",
    "after_lock": "После блокировки · After lock",
}
VERSION_COLUMNS = [
    "reporting_year",
    "state_code",
    "programme_code",
    "source_file",
    "report_id",
    "report_version",
]
REVISION_HEADER = [
    "Таблица\nTable",
    "Строка (ключ)\nRow (key)",
    "Графа\nColumn",
    "Было\nPrevious",
    "Стало\nCurrent",
]
EDITION_WORDS = {
    "reporting_year": "Отчётный год\nReporting year",
    "as_of": "Данные по состоянию на (UTC)\nData as of (UTC)",
    "generated_at": "Издание подготовлено (UTC)\nEdition prepared (UTC)",
    "previous_edition": "Предыдущее издание (UTC)\nPrevious edition (UTC)",
    "synthetic": "Синтетические данные\nSynthetic data",
    "approved_only": "Только утверждённые версии\nApproved versions only",
    "locks": "Блокировка года\nYear lock",
    "cut": "Обрезанные тексты\nTexts cut",
    "sql": "Запрос: {sheet}\nQuery: {sheet}",
}


def excel_value(value):
    """A value as the annex stores it: numbers stay numbers, dates dates, the rest text."""
    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # spreadsheets have no time zones: UTC
    return value


def _moment(text: str | None) -> dt.datetime | None:
    return excel_value(dt.datetime.fromisoformat(text)) if text else None


def _json_cell(value):
    return value if isinstance(value, int | float | str) or value is None else json.dumps(value)


def header_of(mart: str, columns: list[str]) -> list[str]:
    """ "Отчётный год\\nReporting year" for each column, as the mart documents it."""
    labels = column_labels(mart)
    return [f"{labels[c]['ru']}\n{labels[c]['en']}" if c in labels else c for c in columns]


def number_format(column: str, value) -> str | None:
    """The cell format by column and value: years plain, rates in %, counts grouped, dates as dates."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, dt.datetime):
        return MOMENT_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    if isinstance(value, int | float):
        if column.endswith("year"):
            return YEAR_FORMAT
        if column.endswith("_rate"):
            return RATE_FORMAT
        return COUNT_FORMAT if isinstance(value, int) else DECIMAL_FORMAT
    return None


class _Workbook:
    """The annex being written: the workbook and the cells whose text was cut."""

    def __init__(self):
        from openpyxl import Workbook

        self.book = Workbook()
        self.cut: list[str] = []

    def sheet(self, key: str, header: list[str] | None, columns: list[str], rows, first: bool = False):
        """A sheet of rows under a bilingual, bold, frozen and filtered header."""
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        sheet = self.book.active if first else self.book.create_sheet()
        sheet.title = SHEETS[key]
        widths: dict[int, int] = {}
        if header is not None:
            sheet.append(header)
            for header_cell in sheet[1]:
                header_cell.font = Font(bold=True)
                header_cell.fill = PatternFill("solid", fgColor="EEEEEE")
                header_cell.alignment = Alignment(wrap_text=True, vertical="top")
            sheet.freeze_panes = "A2"
            lines = 1
            for i, text in enumerate(header, start=1):  # a long label wraps in a column of at most 30
                widths[i] = min(max(len(line) for line in text.split("\n")), HEADER_WIDTH) + 2
                lines = max(lines, sum(-(-len(line) // HEADER_WIDTH) for line in text.split("\n")))
            sheet.row_dimensions[1].height = 13 * lines
        for row in rows:
            sheet.append(
                [self._fit(excel_value(v), sheet.title, sheet.max_row + 1, i) for i, v in enumerate(row)]
            )
        for row in sheet.iter_rows(min_row=2 if header is not None else 1):
            for i, cell in enumerate(row):
                if isinstance(cell.value, str) and needs_formula_escape(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True
                column = columns[i] if i < len(columns) else ""
                if (fmt := number_format(column, cell.value)) is not None:
                    cell.number_format = fmt
                if isinstance(cell.value, str) and "\n" in cell.value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                shown = 19 if isinstance(cell.value, dt.date) else len(str(cell.value or ""))
                widths[cell.column] = max(widths.get(cell.column, 8), min(shown + 2, MAX_WIDTH))
        for index, width in widths.items():
            sheet.column_dimensions[get_column_letter(index)].width = min(width, MAX_WIDTH)
        if header is not None:
            sheet.auto_filter.ref = sheet.dimensions
        return sheet

    def _fit(self, value, sheet: str, row: int, index: int):
        """Text longer than a cell holds: cut, marked, and listed for the first sheet."""
        if not isinstance(value, str) or len(value) <= CELL_LIMIT:
            return value
        from openpyxl.utils import get_column_letter

        mark = CUT_MARK.format(n=len(value))
        self.cut.append(f"{sheet}!{get_column_letter(index + 1)}{row} ({len(value):,})")
        return value[: CELL_LIMIT - len(mark)] + mark


def _locks(edition: Edition) -> str:
    """The year's lock history in one cell (this edition's own lock, if it publishes, last)."""
    events = [
        f"{e['decided_at']:%Y-%m-%d %H:%M} UTC {e['action']} ({e['decided_by']})"
        + (f": {e['reason']}" if e.get("reason") else "")
        for e in edition.data.locks
    ]
    if edition.published:
        events.append(f"{edition.generated_at} lock: это издание / this edition")
    return "; ".join(events) or "нет / none"


def write_annex(edition: Edition, target: Path) -> None:
    book = _Workbook()
    for section in edition.sections.values():
        book.sheet(section.key, header_of(section.mart, section.columns), section.columns, section.rows)
    book.sheet(
        "report_versions",
        header_of("fct_indicator_values", VERSION_COLUMNS),
        VERSION_COLUMNS,
        ([v[c] for c in VERSION_COLUMNS] for v in edition.report_versions),
    )
    book.sheet(
        "revisions",
        REVISION_HEADER,
        ["table", "key", "column", "previous", "current"],
        (
            [
                rv["table"],
                json.dumps(rv["key"], ensure_ascii=False),
                rv["column"],
                _json_cell(rv["previous"]),
                _json_cell(rv["current"]),
            ]
            for rv in edition.revisions
        ),
    )
    about = [
        (EDITION_WORDS["reporting_year"], edition.year),
        (EDITION_WORDS["as_of"], _moment(edition.as_of)),
        (EDITION_WORDS["generated_at"], _moment(edition.generated_at)),
        (EDITION_WORDS["previous_edition"], _moment(edition.previous_edition)),
        (EDITION_WORDS["synthetic"], "да / yes" if edition.data.synthetic else "нет / no"),
        (EDITION_WORDS["approved_only"], "да / yes" if edition.data.approved_only else "нет / no"),
        (EDITION_WORDS["locks"], _locks(edition)),
    ] + [
        (EDITION_WORDS["sql"].format(sheet=SHEETS[key]), section.sql)
        for key, section in edition.sections.items()
    ]
    first = book.sheet("edition", None, ["key", "edition_value"], about, first=True)
    first.cell(1, 2).number_format = YEAR_FORMAT
    # the cut texts are known only now that every other sheet is written
    first.append([EDITION_WORDS["cut"], ", ".join(book.cut) if book.cut else "нет / none"])
    first.column_dimensions["A"].width = 34
    first.column_dimensions["B"].width = 100
    book.book.move_sheet(first, offset=-book.book.index(first))
    book.book.active = 0
    with replacing(target) as temporary:
        book.book.save(temporary)
