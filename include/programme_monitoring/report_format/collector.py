"""The collector: one per file read. Every reader hands it what it found (header fields,
rows, or whole checked chunks of a CSV file) and raises the refusals it builds, so that
every format refuses the same things with the same ``ReportFormatError`` and ends in the
same ``ParsedReport``.

It applies the rules shared by all formats: the value parsers per field, damaged text
(mojibake), the data-row limit, a report with no data rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from programme_monitoring.report_format.file_safety import MAX_DATA_ROWS, mojibake_reason
from programme_monitoring.report_format.labels import HEADER_FIELDS
from programme_monitoring.report_format.records import (
    INDICATOR_COLUMNS,
    MEASURE_COLUMNS,
    ParsedReport,
    ReportFormatError,
    ReportHeader,
)
from programme_monitoring.report_format.values import (
    cell_text,
    parse_code,
    parse_count,
    parse_date,
    parse_disaggregation,
    parse_status,
    parse_whole,
)


class Collector:
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
        """The refusal of this file, naming where (``records.where``) and what to fix."""
        return ReportFormatError(self.path, message, sheet=sheet, row=row, column=column)

    def convert(
        self, func: Callable[[object], Any], raw: object, sheet: str, row: int | None, column: str
    ) -> Any:
        """``func(raw)``; a ValueError becomes the refusal of that cell."""
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

    def count_rows(self, added: int, row: int, sheet: str = "") -> None:
        """Count data rows read so far; refuse a file past MAX_DATA_ROWS at the row reached."""
        self.rows += added
        if self.rows > MAX_DATA_ROWS:
            raise self.error(f"more than {MAX_DATA_ROWS} data rows: a report is far smaller", sheet, row)

    def add_frame(self, part: str, frame: pd.DataFrame) -> None:
        """Rows already parsed and checked in bulk (a CSV chunk), INDICATOR_ or MEASURE_COLUMNS."""
        self.frames[part].append(frame)

    def forget_rows(self) -> None:
        """Drop every data row collected so far (a reader starting the file over)."""
        self.indicators, self.measures = [], []
        self.frames = {part: [] for part in self.frames}
        self.rows = 0

    def header(
        self, fields: dict[str, tuple[object, int | None]], sheet: str, names: dict[str, str]
    ) -> ReportHeader:
        """fields: key -> (raw value, row); names: key -> column/label as the file shows it."""
        for key in HEADER_FIELDS:
            if key not in fields:
                raise self.error(f"header field {names[key]!r} is missing", sheet)
            raw, row = fields[key]
            if cell_text(raw) == "":
                raise self.error(f"header field {names[key]!r} is empty: fill it in", sheet, row, names[key])
            self.check_text({key: raw}, sheet, row, names)

        def get(key: str, func: Callable[[object], Any]) -> Any:
            raw, row = fields[key]
            return self.convert(func, raw, sheet, row, names[key])

        return ReportHeader(
            state_code=get("state", cell_text).upper(),
            authority=get("authority", cell_text),
            programme_code=get("programme", cell_text).upper(),
            reporting_year=get("reporting_year", parse_whole),
            submission_date=get("submission_date", parse_date),
            version=get("version", parse_whole),
        )

    def indicator(self, fields: dict[str, object], sheet: str, row: int, names: dict[str, str]) -> None:
        """One indicator row of an XLSX sheet or JSON array (fields keyed as JSON_INDICATOR_KEYS)."""
        self.count_rows(1, row, sheet)
        self.check_text(fields, sheet, row, names)
        code = self.convert(parse_code, fields.get("indicator_code"), sheet, row, names["indicator_code"])
        code = code.upper()
        if not code:
            raise self.error("indicator code is missing", sheet, row, names["indicator_code"])
        value = self.convert(parse_count, fields.get("value"), sheet, row, names["value"])
        self.indicators.append(
            {
                "source_sheet": sheet if self.keep_sheet else "",
                "source_row": row,
                "indicator_code": code,
                "disaggregation": self.convert(
                    parse_disaggregation, fields.get("disaggregation"), sheet, row, names["disaggregation"]
                ),
                "value": value,
                "is_reported": value is not None,
                "comment": cell_text(fields.get("comment")),
            }
        )

    def measure(self, fields: dict[str, object], sheet: str, row: int, names: dict[str, str]) -> None:
        """One measure row of an XLSX sheet or JSON array (fields keyed as JSON_MEASURE_KEYS)."""
        self.count_rows(1, row, sheet)
        self.check_text(fields, sheet, row, names)
        code = self.convert(parse_code, fields.get("measure_code"), sheet, row, names["measure_code"])
        if not code:
            raise self.error("measure code is missing", sheet, row, names["measure_code"])
        self.measures.append(
            {
                "source_sheet": sheet if self.keep_sheet else "",
                "source_row": row,
                "measure_code": code,
                "status": self.convert(parse_status, fields.get("status"), sheet, row, names["status"]),
                "narrative": cell_text(fields.get("narrative")),
            }
        )

    def result(self, header: ReportHeader, file_format: str) -> ParsedReport:
        """The ParsedReport of everything collected; a file without data rows is refused."""
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
