"""The CSV reader of report template version 1 (DHIS2-style long form, one row per value).

Built for size: a large annex reaches a million rows. The file is read in chunks of
``CSV_CHUNK_ROWS``; in each chunk every column is factorised and each rule is applied once
per distinct value, then spread to the rows (``_CsvColumn``), and the first problem in file
order is refused (``_Problems``). Two readers feed the same chunk checks: pandas' C reader
(fast) for a file that ends with a line break, Python's csv module (exact field counts) for
any other, so both read every file to the same report and refuse every bad file with the
same row, column and reason. The rules are those the collector applies row by row to XLSX
and JSON (``values``, mojibake, the data-row limit); ``bench/bench_csv_intake.py`` times it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from programme_monitoring.report_format.collector import Collector
from programme_monitoring.report_format.file_safety import (
    MOJIBAKE_MARKERS,
    UnsafeFile,
    csv_encoding,
    mojibake_reason,
    unescape_formula,
)
from programme_monitoring.report_format.labels import CSV_COLUMNS, HEADER_FIELDS, lookup, norm
from programme_monitoring.report_format.records import (
    INDICATOR_COLUMNS,
    MEASURE_COLUMNS,
    ReportFormatError,
    ReportHeader,
)
from programme_monitoring.report_format.values import (
    CANONICAL_DISAGGREGATION,
    cell_text,
    parse_count,
    parse_disaggregation,
    parse_status,
)

# A CSV report is read in chunks of this many rows, each parsed and checked column by column
# (each distinct value once), so a million-row annex reads in seconds and memory stays flat.
CSV_CHUNK_ROWS = 100_000
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def read_csv(path: Path, out: Collector) -> ReportHeader:
    """Hand the file's header and rows to ``out``; returns the header (from the first data row)."""
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


def _csv_keys(headings: list[str], out: Collector) -> list[str]:
    keys = [norm(h).replace(" ", "_") for h in headings]
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

    def __init__(self, out: Collector, keys: list[str], heading_lines: int) -> None:
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
            self.out.forget_rows()
            self.header, self.next_line = None, self.heading_lines + 1
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
        comments = [cell_text(t) for t in cols["comment"].text]
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
