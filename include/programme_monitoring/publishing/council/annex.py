"""The XLSX annex of a Council report edition: every table as the mart rows.

One sheet per section with the mart's column names, then the report versions used and
the figures revised since the previous edition, after a first sheet naming the edition
and the query behind each table. Numbers stay numbers and dates dates; text that a
spreadsheet would take for a formula is stored as text with Excel's quote prefix, by
the project's one injection rule (``report_format.file_safety.needs_formula_escape``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from pathlib import Path
from typing import TYPE_CHECKING

from programme_monitoring.report_format.file_safety import needs_formula_escape

if TYPE_CHECKING:
    from programme_monitoring.publishing.council.editions import Edition

VERSION_COLUMNS = [
    "reporting_year",
    "state_code",
    "programme_code",
    "source_file",
    "report_id",
    "report_version",
]
REVISION_COLUMNS = ["table", "key", "column", "previous", "current"]


def excel_value(value):
    """A value as the annex stores it: numbers stay numbers, dates dates, the rest text."""
    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # spreadsheets have no time zones: UTC
    return value


def _json_cell(value):
    return value if isinstance(value, int | float | str) or value is None else json.dumps(value)


def _sheet(workbook, title: str, header: list[str] | None, rows, first: bool = False):
    """A sheet of rows (a bold, frozen header when given), formula-like text escaped."""
    from openpyxl.styles import Font

    sheet = workbook.active if first else workbook.create_sheet(title)
    sheet.title = title
    if header is not None:
        sheet.append(header)
        for header_cell in sheet[1]:
            header_cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([excel_value(v) for v in row])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and needs_formula_escape(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
    return sheet


def write_annex(edition: Edition, target: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    about = [
        ("reporting_year", edition.year),
        ("as_of", edition.as_of),
        ("generated_at", edition.generated_at),
        ("previous_edition", edition.previous_edition),
    ] + [(f"sql:{key}", section.sql) for key, section in edition.sections.items()]
    _sheet(workbook, "edition", None, about, first=True)
    for section in edition.sections.values():
        _sheet(workbook, section.key, section.columns, section.rows)
    _sheet(
        workbook,
        "report_versions",
        VERSION_COLUMNS,
        ([v[c] for c in VERSION_COLUMNS] for v in edition.report_versions),
    )
    _sheet(
        workbook,
        "revisions",
        REVISION_COLUMNS,
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
    workbook.save(target)
