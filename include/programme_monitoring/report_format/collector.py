"""The collector: one per file read. Every reader hands it what it found (header fields,
rows, or whole checked chunks of a CSV file); it keeps every problem found (up to
``MAX_PROBLEMS``, then counts the rest) and refuses the file with all of them at the end,
so that every format refuses the same things with the same ``ReportFormatError`` and ends in
the same ``ParsedReport``.

Root causes first, no cascades: a problem of the file's structure (a missing sheet or
column) or of its header stops the reading there (what follows would depend on it); a bad
cell is one problem of its row, and the row's other cells are still checked.

It applies the rules shared by all formats: the value parsers per field, damaged text
(mojibake), control characters and lengths, the value ceilings, the data-row limit, a
report with no data rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from programme_monitoring.report_format.file_safety import MAX_DATA_ROWS, mojibake_reason
from programme_monitoring.report_format.labels import HEADER_FIELDS
from programme_monitoring.report_format.records import (
    INDICATOR_COLUMNS,
    MAX_PROBLEMS,
    MEASURE_COLUMNS,
    ParsedReport,
    Problem,
    Refusal,
    ReportFormatError,
    ReportHeader,
    text_categorical,
)
from programme_monitoring.report_format.values import (
    VERSION_RANGE,
    YEAR_RANGE,
    bounded_whole,
    check_ceiling,
    parse_code,
    parse_count,
    parse_date,
    parse_disaggregation,
    parse_programme,
    parse_state,
    parse_status,
    parse_text,
)

BAD = object()  # what ``convert`` returns for a value it refused


def mojibake_refusal(text: str) -> Refusal | None:
    """The bilingual refusal of text damaged by a wrong code page, or None."""
    reason = mojibake_reason(text)
    if reason is None:
        return None
    return Refusal(
        reason,
        "текст повреждён неверной кодировкой (например, UTF-8 открыт как Windows-1251 и сохранён "
        "заново): наберите его заново или выгрузите снова в UTF-8",
    )


def checked(func: Callable[[object], Any]) -> Callable[[object], Any]:
    """``func`` preceded by the mojibake check of text."""

    def parse(raw: object) -> Any:
        if isinstance(raw, str) and (refusal := mojibake_refusal(raw)):
            raise refusal
        return func(raw)

    return parse


# The header fields: key -> parser (after the mojibake check).
HEADER_PARSERS: dict[str, Callable[[object], Any]] = {
    "state": parse_state,
    "authority": lambda raw: parse_text(raw, "short"),
    "programme": parse_programme,
    "reporting_year": lambda raw: bounded_whole(raw, *YEAR_RANGE, "the reporting year", "отчётный год"),
    "submission_date": parse_date,
    "version": lambda raw: bounded_whole(raw, *VERSION_RANGE, "the report version", "версия отчёта"),
}
assert tuple(HEADER_PARSERS) == HEADER_FIELDS


class ValuesSink(Protocol):
    """Takes a report's indicator values chunk by chunk as they are read and checked (a CSV
    report's), before the file is read whole: the file may still be refused, or read again
    from the start (``forget``)."""

    def add(self, header: ReportHeader, values: pd.DataFrame) -> None: ...

    def forget(self) -> None: ...


class Collector:
    """Builds a ParsedReport from rows handed over by the format readers; one per file.
    ``values_sink`` also gets each chunk of indicator values handed over whole (CSV); with
    ``hold_values`` false, the report does not hold them (the sink has them)."""

    def __init__(self, path: Path, values_sink: ValuesSink | None = None, hold_values: bool = True) -> None:
        self.path = path
        self.values_sink = values_sink
        self.hold_values = hold_values or values_sink is None
        self.parsed_header: ReportHeader | None = None
        self.keep_sheet = path.suffix.lower() == ".xlsx"  # source_sheet is "" for CSV and JSON
        self.indicators = _Rows(INDICATOR_COLUMNS, self.keep_sheet)
        self.measures = _Rows(MEASURE_COLUMNS, self.keep_sheet)
        self.frames: dict[str, list[pd.DataFrame]] = {"indicator": [], "measure": []}
        self.rows = 0
        self.problems: list[Problem] = []
        self.more = 0  # problems found beyond MAX_PROBLEMS

    def error(
        self, en: str, ru: str, sheet: str = "", row: int | None = None, column: str = ""
    ) -> ReportFormatError:
        """The refusal of this file now: this problem (a root cause, such as the file's
        structure) first, then those collected so far."""
        return self._refusal([Problem(en, ru, sheet, row, column), *self.problems], self.more)

    def refusal(
        self, exc: Refusal, sheet: str = "", row: int | None = None, column: str = ""
    ) -> ReportFormatError:
        return self.error(exc.en, exc.ru, sheet, row, column)

    def _refusal(self, problems: list[Problem], more: int) -> ReportFormatError:
        kept, more = problems[:MAX_PROBLEMS], more + max(len(problems) - MAX_PROBLEMS, 0)
        head = kept[0]
        return ReportFormatError(
            self.path, head.en, sheet=head.sheet, row=head.row, column=head.column, problems=kept, more=more
        )

    def problem(self, en: str, ru: str, sheet: str = "", row: int | None = None, column: str = "") -> None:
        """Note one problem; the file is refused with all of them at the end."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(en, ru, sheet, row, column))
        else:
            self.more += 1

    def stop_if_problems(self) -> None:
        """Refuse the file now if any problem was found (before checks that depend on it)."""
        if self.problems or self.more:
            raise self._refusal(self.problems, self.more)

    def add_problems(self, problems: list[Problem], more: int = 0) -> None:
        for p in problems:
            self.problem(p.en, p.ru, p.sheet, p.row, p.column)
        self.more += more

    def convert(
        self, func: Callable[[object], Any], raw: object, sheet: str, row: int | None, column: str
    ) -> Any:
        """``func(raw)`` after the mojibake check; a value it refuses becomes a problem of that
        cell, and BAD is returned."""
        try:
            return checked(func)(raw)
        except Refusal as exc:
            self.problem(exc.en, exc.ru, sheet, row, column)
        except (ValueError, TypeError, OverflowError) as exc:  # a parser's own message: not expected
            self.problem(
                f"the value cannot be read ({type(exc).__name__})",
                f"значение не читается ({type(exc).__name__})",
                sheet,
                row,
                column,
            )
        return BAD

    def count_rows(self, added: int, row: int, sheet: str = "") -> None:
        """Count data rows read so far; refuse a file past MAX_DATA_ROWS at the row reached."""
        self.rows += added
        if self.rows > MAX_DATA_ROWS:
            raise self.error(
                f"more than {MAX_DATA_ROWS:,} data rows: a report is far smaller",
                f"более {MAX_DATA_ROWS:,} строк данных: отчёт намного меньше",
                sheet,
                row,
            )

    def add_frame(self, part: str, columns: dict[str, Any]) -> None:
        """Rows already parsed and checked in bulk (a CSV chunk): the INDICATOR_ or MEASURE_COLUMNS
        but ``source_sheet``. Codes stay Python strings (``object``): pandas 3 would convert them to
        pyarrow strings, which the suites would convert back; free text comes as pyarrow strings
        (``CsvColumn.spread_text``), which only the COPY reads."""
        rows = len(next(iter(columns.values())))
        table = {"source_sheet": np.full(rows, "", dtype=object), **columns}
        text = {key for key, c in table.items() if isinstance(c, np.ndarray) and c.dtype.kind == "O"}
        frame = pd.DataFrame({k: pd.Series(c, dtype=object) if k in text else c for k, c in table.items()})
        frame = frame[INDICATOR_COLUMNS if part == "indicator" else MEASURE_COLUMNS]
        if part == "indicator" and self.values_sink is not None and self.parsed_header is not None:
            self.values_sink.add(self.parsed_header, frame)
            if not self.hold_values:
                return
        self.frames[part].append(frame)

    def forget_rows(self) -> None:
        """Drop every data row and problem collected so far (a reader starting the file over)."""
        self.indicators = _Rows(INDICATOR_COLUMNS, self.keep_sheet)
        self.measures = _Rows(MEASURE_COLUMNS, self.keep_sheet)
        self.frames = {part: [] for part in self.frames}
        self.rows = 0
        self.problems, self.more = [], 0
        if self.values_sink is not None:
            self.values_sink.forget()

    def header(
        self,
        fields: dict[str, tuple[object, int | None]],
        sheet: str,
        names: dict[str, str],
        parsers: dict[str, Callable[[object], Any]] | None = None,
        columns: dict[str, str] | None = None,
    ) -> ReportHeader:
        """fields: key -> (raw value, row); names: key -> the field's name as the file shows
        it; ``columns``: key -> the column to name in a refusal (default: the name itself);
        ``parsers`` replaces HEADER_PARSERS for some fields (an XLSX date cell). Every header
        field is checked; any problem refuses the file at once, the header's problems first
        (the rows depend on the header: a wrong year must not become a message per row)."""
        earlier, self.problems, more, self.more = self.problems, [], self.more, 0
        parsed: dict[str, Any] = {}
        for key in HEADER_FIELDS:
            column = (columns or {}).get(key, names[key])
            if key not in fields:
                self.problem(
                    f"header field {names[key]!r} is missing: add it",
                    f"нет поля заголовка {names[key]!r}: добавьте его",
                    sheet,
                )
                continue
            raw, row = fields[key]
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                self.problem(
                    f"header field {names[key]!r} is empty: fill it in",
                    f"поле заголовка {names[key]!r} не заполнено: заполните его",
                    sheet, row, column,
                )  # fmt: skip
                continue
            func = (parsers or {}).get(key, HEADER_PARSERS[key])
            parsed[key] = self.convert(func, raw, sheet, row, column)
        if self.problems:
            raise self._refusal([*self.problems, *earlier], self.more + more)
        self.problems, self.more = earlier, more
        self.parsed_header = ReportHeader(
            state_code=parsed["state"],
            authority=parsed["authority"],
            programme_code=parsed["programme"],
            reporting_year=parsed["reporting_year"],
            submission_date=parsed["submission_date"],
            version=parsed["version"],
        )
        return self.parsed_header

    def indicator(self, fields: dict[str, object], sheet: str, row: int, names: dict[str, str]) -> None:
        """One indicator row of an XLSX sheet or JSON array (fields keyed as JSON_INDICATOR_KEYS)."""
        self.count_rows(1, row, sheet)
        before = len(self.problems) + self.more
        code = self.convert(parse_code, fields.get("indicator_code"), sheet, row, names["indicator_code"])
        if code is not BAD and not code:
            self.problem(
                "the indicator code is missing",
                "не указан код показателя",
                sheet,
                row,
                names["indicator_code"],
            )
        code = code.upper() if isinstance(code, str) else ""
        disaggregation = self.convert(
            parse_disaggregation, fields.get("disaggregation"), sheet, row, names["disaggregation"]
        )
        value = self.convert(parse_count, fields.get("value"), sheet, row, names["value"])
        if value is not BAD and code:
            value = self.convert(lambda v: check_ceiling(code, v) or v, value, sheet, row, names["value"])
        comment = self.convert(parse_text, fields.get("comment"), sheet, row, names.get("comment", "comment"))
        if len(self.problems) + self.more > before:
            return
        self.indicators.add(
            sheet,
            row,
            indicator_code=code,
            disaggregation=disaggregation,
            value=value,
            is_reported=value is not None,
            comment=comment,
        )

    def measure(self, fields: dict[str, object], sheet: str, row: int, names: dict[str, str]) -> None:
        """One measure row of an XLSX sheet or JSON array (fields keyed as JSON_MEASURE_KEYS)."""
        self.count_rows(1, row, sheet)
        before = len(self.problems) + self.more
        code = self.convert(parse_code, fields.get("measure_code"), sheet, row, names["measure_code"])
        if code is not BAD and not code:
            self.problem(
                "the measure code is missing", "не указан код мероприятия", sheet, row, names["measure_code"]
            )
        status = self.convert(parse_status, fields.get("status"), sheet, row, names["status"])
        narrative = self.convert(
            parse_text, fields.get("narrative"), sheet, row, names.get("narrative", "narrative")
        )
        if len(self.problems) + self.more > before:
            return
        self.measures.add(sheet, row, measure_code=code, status=status, narrative=narrative)

    def result(self, header: ReportHeader, file_format: str) -> ParsedReport:
        """The ParsedReport of everything collected; refused if any problem was found, or if
        the file has no data rows."""
        if self.problems or self.more:
            raise self._refusal(self.problems, self.more)
        if not self.rows:
            raise self.error(
                "the report has no data rows: fill in indicator values and/or measures",
                "в отчёте нет строк данных: заполните значения показателей и/или мероприятия",
            )
        values = indicator_table(self._frames("indicator", self.indicators))
        measures = _table(self._frames("measure", self.measures))
        return ParsedReport(self.path, file_format, header, values, measures)

    def _frames(self, part: str, rows: _Rows) -> list[pd.DataFrame]:
        frames, self.frames[part] = self.frames[part], []  # the chunks go as the table takes their place
        if rows or not frames:
            frames.insert(0, rows.frame())
        return frames


class _Rows:
    """Rows handed over one at a time (XLSX, JSON), kept by column: a list per column costs a
    reference a value, where a dict a row cost some 360 bytes (a workbook of 300,000 rows was
    read in 418 MB, now 338 MB). A code is kept once however many rows repeat it; the sheet's
    name only for an XLSX report (``keep_sheet``)."""

    def __init__(self, columns: list[str], keep_sheet: bool) -> None:
        self.columns: dict[str, list] = {column: [] for column in columns}
        self.keep_sheet = keep_sheet
        self._codes: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.columns["source_row"])

    def add(self, sheet: str, row: int, **fields) -> None:
        self.columns["source_sheet"].append(sheet if self.keep_sheet else "")
        self.columns["source_row"].append(row)
        for column, value in fields.items():
            if column.endswith("_code"):
                value = self._codes.setdefault(value, value)
            self.columns[column].append(value)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns)


def indicator_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The indicator values of a report (``ParsedReport.indicator_values``) from the frames of
    its rows read (INDICATOR_COLUMNS; a list that is emptied, so that each goes as it is copied)."""
    values = _table(frames)
    values["value"] = values["value"].astype("Int64")
    values["is_reported"] = values["is_reported"].astype(bool)
    values["disaggregation"] = text_categorical(values["disaggregation"])
    return values


def _table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frames.clear()
    table["source_row"] = table["source_row"].astype("int64")
    return table
