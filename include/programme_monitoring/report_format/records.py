"""The records every report format is parsed into (report template, version 1).

XLSX, CSV and JSON reports all become one ``ParsedReport``: a header and two tables.
Row numbers point back into the source file (spreadsheet row or CSV line, 1-based,
counting the header line) so that every error can name the row to fix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

TEMPLATE_VERSION = 1
FORMATS = ("xlsx", "csv", "json")  # the file formats a report comes in, by file suffix

# "Not reported" is never 0: such a value has value NULL and is_reported False.
INDICATOR_COLUMNS = [
    "source_sheet",  # sheet name for XLSX, "" for CSV and JSON
    "source_row",  # row in the source (spreadsheet row, CSV line, JSON array index + 1)
    "indicator_code",
    "disaggregation",  # "total" or "dimension=value", e.g. "sex=female", "operation=OP-2014-01"
    "value",  # pandas Int64 (nullable)
    "is_reported",  # bool
    "comment",
]
MEASURE_COLUMNS = ["source_sheet", "source_row", "measure_code", "status", "narrative"]


@dataclass(frozen=True)
class ReportHeader:
    state_code: str  # ISO 3166-1 alpha-2, e.g. "KZ"
    authority: str  # the competent authority that submitted the report
    programme_code: str  # THB, IM or CR
    reporting_year: int
    submission_date: dt.date
    version: int  # 1 for the first submission, higher for corrections


@dataclass
class ParsedReport:
    source_file: Path
    file_format: str  # one of FORMATS
    header: ReportHeader
    indicator_values: pd.DataFrame = field(repr=False)  # INDICATOR_COLUMNS
    measures: pd.DataFrame = field(repr=False)  # MEASURE_COLUMNS


def where(sheet: str = "", row: int | None = None, column: str = "", *, bilingual: bool = False) -> str:
    """Where in a report a problem is: "sheet 'Indicators', row 12, column 'value'" (the one
    formatter of a place; ``bilingual`` gives "sheet/лист ..., row/строка ..., column/столбец ...").
    Empty when nothing is known."""
    words = ("sheet/лист", "row/строка", "column/столбец") if bilingual else ("sheet", "row", "column")
    parts = []
    if sheet:
        parts.append(f"{words[0]} {sheet!r}")
    if row is not None:
        parts.append(f"{words[1]} {row}")
    if column:
        parts.append(f"{words[2]} {column!r}")
    return ", ".join(parts)


class ReportFormatError(ValueError):
    """A report that cannot be read as template version 1; says where and what to fix."""

    def __init__(
        self, file: Path | str, message: str, *, sheet: str = "", row: int | None = None, column: str = ""
    ) -> None:
        self.file, self.sheet, self.row, self.column, self.reason = str(file), sheet, row, column, message
        place = ", ".join(filter(None, (f"file {Path(file).name}", where(sheet, row, column))))
        super().__init__(f"{place}: {message}")
