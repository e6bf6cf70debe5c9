"""The CSV reader of report template version 1 (DHIS2-style long form, one row per value).

Built for size: a large annex reaches a million rows. pyarrow's C++ reader reads the file
in blocks and factorises each column (a Python string per distinct value, none per row);
the rows are checked in chunks of at most ``CSV_CHUNK_ROWS``, each rule applied once per
distinct value of a column and spread to the rows, every problem noted in file order
(``csv_columns``; at most ``MAX_PROBLEMS`` are kept, the rest counted). Python's csv module
re-reads a file the fast reader cannot parse (a row with more or fewer fields than the
heading, a quote left open) to name the line. A file that does not end with a line break,
or whose last row has fewer fields than the heading, is refused first: it may still be
being written. The rules are those the collector applies row by row to XLSX and JSON
(``values``, mojibake, the data-row limit); ``bench/bench_csv_intake.py`` times it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import logging
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from programme_monitoring.process_memory import give_back
from programme_monitoring.reference import code_lists
from programme_monitoring.report_format.collector import Collector
from programme_monitoring.report_format.csv_columns import ChunkProblems, CsvColumn, Message
from programme_monitoring.report_format.file_safety import (
    UnsafeFile,
    csv_encoding,
    encoding_refusal_ru,
)
from programme_monitoring.report_format.labels import CSV_COLUMNS, HEADER_FIELDS, lookup, norm
from programme_monitoring.report_format.records import (
    Refusal,
    ReportFormatError,
    ReportHeader,
)
from programme_monitoring.report_format.values import (
    check_ceiling,
    parse_code,
    parse_count,
    parse_disaggregation,
    parse_status,
    parse_text,
)

log = logging.getLogger(__name__)

# A CSV report is read in chunks of this many rows, each parsed and checked column by column
# (each distinct value once), so a million-row annex reads in seconds and memory stays flat.
CSV_CHUNK_ROWS = 100_000
# The fast reader parses the file in blocks of this many bytes, one block at a time (on two
# CPUs, a thread pool was no faster; 1 MB blocks cost 5-10% more time).
ARROW_BLOCK_BYTES = 4 << 20
# pyarrow's reader thread would read up to 32 blocks ahead of the parsing (a constant of its C++
# code): 128 MB held while it waits, the whole of a smaller file. It reads ``_PacedFile``.
AHEAD_BLOCKS = 4


def read_csv(path: Path, out: Collector) -> ReportHeader:
    """Hand the file's header and rows to ``out``; returns the header (from the first data row)."""
    try:
        encoding = csv_encoding(path)  # UTF-8 (BOM or not) or plausible Windows-1251
    except UnsafeFile as exc:
        raise out.error(str(exc), encoding_refusal_ru(str(exc))) from None
    with path.open(encoding=encoding, newline="") as stream:
        reader = csv.reader(stream, strict=True)
        try:
            headings = next(reader, [])
        except csv.Error:
            raise out.error(
                "the heading line is not readable as CSV: a quote is not closed",
                "строка заголовков не читается как CSV: не закрыта кавычка",
                row=1,
            ) from None
        if not any(h.strip() for h in headings) and not stream.read().strip():
            raise out.error("the file is empty", "файл пуст")
        heading_lines = reader.line_num
    chunks = _CsvChunks(out, headings, heading_lines)
    _check_complete(path, encoding, len(chunks.keys), out)
    chunks.read_fast(path, encoding)
    if chunks.header is None:
        out.stop_if_problems()
        raise out.error(
            "the report has no data rows: the file holds only the heading line",
            "в отчёте нет строк данных: в файле только строка заголовков",
        )
    return chunks.header


_INCOMPLETE = (
    "it may be incomplete (still being written?): send it again when complete",
    "возможно, он неполон (ещё записывается?): направьте его повторно, когда запись завершится",
)
_TAIL = 1024 * 1024


def _check_complete(path: Path, encoding: str, fields: int, out: Collector) -> None:
    """Refuse a file that does not end with a line break, or whose last row has fewer fields
    than the heading: it was cut short, most likely while still being written. The last row
    is found from the file's tail alone: a line break outside quotes (quotes counted from
    the start of the file, in 1 MB blocks) starts it."""
    size = path.stat().st_size
    with path.open("rb") as raw:
        raw.seek(max(size - 1, 0))
        if raw.read(1) not in (b"\n", b"\r"):
            raise out.error(
                f"the file does not end with a line break: {_INCOMPLETE[0]}",
                f"файл не заканчивается переводом строки: {_INCOMPLETE[1]}",
            )
        start = max(size - _TAIL, 0)
        raw.seek(0)
        quotes, left = 0, start
        while left > 0:
            block = raw.read(min(left, _TAIL))
            quotes, left = quotes + block.count(b'"'), left - len(block)
        tail = raw.read()
    body = tail.rstrip(b"\r\n")
    breaks = [i for i in (m.start() for m in re.finditer(rb"[\r\n]", body))]
    if not breaks:
        return  # the heading line alone, or a last row longer than 1 MB: nothing to compare
    marks = np.frombuffer(body, dtype=np.uint8) == ord('"')
    before = quotes + np.concatenate(([0], np.cumsum(marks)))[breaks]
    outside = [b for b, q in zip(breaks, before, strict=True) if q % 2 == 0]
    if not outside:
        return
    last = body[outside[-1] + 1 :].decode(encoding.replace("-sig", ""), "replace")
    if not last.strip(", \t"):
        return  # an empty row at the end is skipped like any other
    try:
        cells = next(csv.reader(io.StringIO(last), strict=True), [])
    except csv.Error:
        return  # a quote left open: the reader names its line
    if len(cells) < fields:
        raise out.error(
            f"the last row has {len(cells)} fields, the heading {fields}: {_INCOMPLETE[0]}",
            f"в последней строке {len(cells)} полей, в строке заголовков {fields}: {_INCOMPLETE[1]}",
        )


def _csv_keys(headings: list[str], out: Collector) -> list[str]:
    keys = [norm(h).replace(" ", "_") for h in headings]
    for key, heading in zip(keys, headings, strict=True):
        shown = heading.strip()[:60]
        if key not in CSV_COLUMNS:
            raise out.error(
                f"unknown column {shown!r}: expected {', '.join(CSV_COLUMNS)}",
                f"неизвестный столбец {shown!r}: ожидаются {', '.join(CSV_COLUMNS)}",
                row=1,
                column=shown,
            )
        if keys.count(key) > 1:
            raise out.error(
                f"column {key!r} appears twice: keep one",
                f"столбец {key!r} указан дважды: оставьте один",
                row=1,
                column=shown,
            )
    missing = [key for key in CSV_COLUMNS if key not in keys]
    if missing:
        raise out.error(
            f"column(s) missing: {', '.join(missing)}",
            f"нет столбца (столбцов): {', '.join(missing)}",
            row=1,
        )
    return keys


def _int64(column: CsvColumn, counts: list[int | None], rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The counts of ``rows`` (``parse_count`` of each distinct value: None when not reported, or
    refused) as Int64, spread from the distinct values without a Python object per row."""
    missing = np.fromiter((c is None for c in counts), dtype=bool, count=len(counts))
    numbers = np.fromiter((c or 0 for c in counts), dtype=np.int64, count=len(counts))  # <= 18 digits: fit
    held = column.codes[rows]
    return pd.arrays.IntegerArray(numbers[held], missing[held])


class _PacedFile:
    """The CSV file as pyarrow's reader thread reads it, in UTF-8 (a Windows-1251 file decoded
    here): at most ``AHEAD_BLOCKS`` blocks ahead of the batches taken (``took_batch``), so that
    the blocks read ahead hold 16 MB, not 128 MB.

    A batch is one block of the text and needs at most the block after it to end its last row,
    so the reader always gets the blocks of the batch the parser waits for. The wait is bounded
    all the same: a reader left waiting longer than ``PACE_SECONDS`` reads on."""

    PACE_SECONDS = 5.0

    def __init__(self, path: Path, block_bytes: int, encoding: str) -> None:
        self._file, self._name = path.open("rb"), path.name
        # pyarrow would decode in Python too (``transcoding_input_stream``), a block ahead of the
        # text it hands out: a block of text is fewer bytes of the file, which pacing by the
        # file's bytes would let run ahead
        self._decoder = None if encoding.startswith("utf-8") else codecs.getincrementaldecoder(encoding)()
        self._text = b""  # decoded, not yet read
        self._block = block_bytes
        self._allowed = AHEAD_BLOCKS * block_bytes  # bytes of text the reader may have read
        self._read = 0
        self._turn = threading.Condition()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def read(self, size: int = -1) -> bytes:
        with self._turn:
            if not self._turn.wait_for(self._may_read, self.PACE_SECONDS):
                log.debug("%s: read on after %s s without its turn", self._name, self.PACE_SECONDS)
        data = self._read_text(size)  # (closed meanwhile: ValueError, which ends pyarrow's reading)
        self._read += len(data)
        return data

    def _read_text(self, size: int) -> bytes:
        if self._decoder is None:
            return self._file.read(size)
        while size < 0 or len(self._text) < size:
            raw = self._file.read(size)
            self._text += self._decoder.decode(raw, final=not raw).encode("utf-8")
            if not raw:
                break
        data, self._text = (self._text, b"") if size < 0 else (self._text[:size], self._text[size:])
        return data

    def _may_read(self) -> bool:
        return self._read < self._allowed or self._file.closed

    def took_batch(self) -> None:
        with self._turn:
            self._allowed += self._block
            self._turn.notify_all()

    def close(self) -> None:
        with self._turn:
            self._file.close()
            self._turn.notify_all()


def _read_ahead(batches, file: _PacedFile) -> Iterator[tuple[list, str]]:
    """The chunks of pyarrow's reader, each column dictionary-encoded, with the last value of the
    batch each comes from: the next batch is read and encoded in a thread, in C++ with Python's
    lock released, while the caller checks this one."""
    import pyarrow.compute as pc

    def read_next() -> list[tuple[list, str]] | None:
        try:
            batch = batches.read_next_batch()
        except StopIteration:
            return None
        file.took_batch()
        last = batch.column(batch.num_columns - 1)[-1].as_py() if batch.num_rows else ""
        return [
            ([pc.dictionary_encode(c) for c in batch.slice(at, CSV_CHUNK_ROWS).columns], last)
            for at in range(0, batch.num_rows, CSV_CHUNK_ROWS)
        ]

    with ThreadPoolExecutor(1, thread_name_prefix="csv-read-ahead") as pool:
        ahead = pool.submit(read_next)
        while (chunks := ahead.result()) is not None:
            ahead = pool.submit(read_next)
            yield from chunks


class _CsvChunks:
    """Reads the data rows of a CSV report chunk by chunk into the collector."""

    def __init__(self, out: Collector, headings: list[str], heading_lines: int) -> None:
        self.out, self.headings, self.keys = out, headings, _csv_keys(headings, out)
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
        """pyarrow's C++ reader, every field read as text as it stands (no type guessing, no
        missing values). A row with more or fewer fields than the heading, or a quote left
        open, stops it: the file is read again with the exact reader, which names the line
        and the reason."""
        import pyarrow as pa
        from pyarrow import csv as arrow_csv

        file = _PacedFile(path, ARROW_BLOCK_BYTES, encoding)
        try:
            batches = arrow_csv.open_csv(
                file,
                read_options=arrow_csv.ReadOptions(
                    encoding="utf8",  # (decoded by ``file``); a byte order mark is skipped
                    block_size=ARROW_BLOCK_BYTES,
                    use_threads=False,
                ),
                parse_options=arrow_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
                convert_options=arrow_csv.ConvertOptions(
                    column_types=dict.fromkeys(self.headings, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            # (closed in this order: the read-ahead thread, the file, which wakes pyarrow's reader
            # thread if it waits for its turn, then pyarrow's reader)
            with batches, contextlib.closing(file), contextlib.closing(_read_ahead(batches, file)) as chunks:
                if batches.schema.names != self.headings or any(
                    t != pa.string() for t in batches.schema.types
                ):
                    raise pa.ArrowInvalid("the heading reads differently")  # not expected: read exactly
                last = ""
                for columns, last_of_batch in chunks:
                    self.add({key: CsvColumn.of_arrow(c) for key, c in zip(self.keys, columns, strict=True)})
                    last = last_of_batch
                # A quote left open in the last field runs to the end of the file, which this
                # reader takes as the field's end: its value then ends with the file's last line break.
                if last.endswith(("\n", "\r")):
                    raise pa.ArrowInvalid("a quote may be left open in the last row")
        except pa.ArrowInvalid:
            self.out.forget_rows()
            self.header, self.next_line = None, self.heading_lines + 1
            self.read_exact(path, encoding)
        finally:
            file.close()  # (if pyarrow refused it at once)
            give_back()  # the blocks read, before the collector builds the report's table

    def read_exact(self, path: Path, encoding: str) -> None:
        """Python's csv module: every row's field count is checked; slower (only for a file
        the fast reader cannot parse)."""
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
                            f"the row has {len(cells)} fields, the heading {len(self.keys)}",
                            f"в строке {len(cells)} полей, в строке заголовков {len(self.keys)}",
                            row=number,
                        )
                    rows.append(cells)
                    lines.append(number)
                    if len(rows) == CSV_CHUNK_ROWS:
                        self._flush(rows, lines)
            except csv.Error:
                self._flush(rows, lines)
                raise self._unreadable(reader.line_num) from None
            self._flush(rows, lines)

    def _flush(self, rows: list[list[str]], lines: list[int]) -> None:
        if rows:
            chunk = pd.DataFrame(rows, columns=self.keys, dtype=object)
            self.add({key: CsvColumn.of_values(chunk[key]) for key in self.keys}, np.asarray(lines))
            rows.clear()
            lines.clear()

    def _unreadable(self, row: int | None) -> ReportFormatError:
        return self.out.error(
            "not readable as CSV: the file may be cut short or a quote is not closed",
            "строка не читается как CSV: файл обрезан или не закрыта кавычка",
            row=row,
        )

    def add(self, cols: dict[str, CsvColumn], lines: np.ndarray | None = None) -> None:
        """Check one chunk, then hand its rows to the collector. The rules are those of the
        row-by-row readers, applied per distinct value; every problem is noted in file order
        (within a row, in rule order; one per cell), naming its row and column."""
        rows = len(cols[self.keys[0]])
        if not rows:
            return
        if lines is None:  # rows as the fast reader returns them: count the lines they span
            lines = self._lines(rows, [b for c in cols.values() if (b := c.line_breaks()) is not None])
        blank = np.ones(rows, dtype=bool)  # rows blank in every column, fewest values tested first
        for column in sorted(cols.values(), key=lambda c: len(c.raw)):
            blank = column.rows_where(lambda t: not t.strip(), blank, raw=True) if blank.any() else blank
        if self.header is None and not blank.all():
            first = int(np.argmax(~blank))
            self.first_values = {k: cols[k].text[cols[k].codes[first]].strip() for k in HEADER_FIELDS}
            fields = {k: (v or None, int(lines[first])) for k, v in self.first_values.items()}
            self.header = self.out.header(fields, "", self.names)
        found = ChunkProblems(blank)
        for key in HEADER_FIELDS:
            column, expected = cols[key], self.first_values.get(key)
            found.where(
                column.rows([t.strip() != expected for t in column.text]),
                lambda at, key=key, column=column: (
                    f"{key} is {column.value(at).strip()[:60]!r} here but {self.first_values[key][:60]!r} "
                    "above: one file carries one report",
                    f"{key} здесь {column.value(at).strip()[:60]!r}, а выше {self.first_values[key][:60]!r}: "
                    "один файл содержит один отчёт",
                ),
                key,
            )
        parts = [lookup("part", t) for t in cols["part"].text]
        indicator = cols["part"].rows([p == "indicator" for p in parts])
        measure = cols["part"].rows([p == "measure" for p in parts])
        data = indicator | measure
        found.where(
            ~data,
            lambda at: (
                f"part {cols['part'].value(at)[:60]!r} is neither 'indicator' nor 'measure'",
                f"part {cols['part'].value(at)[:60]!r}: укажите «indicator» (показатель) или «measure» "
                "(мероприятие)",
            ),
            "part",
        )
        for key, rows, part in (("status", indicator, "indicator"), ("disaggregation", measure, "measure"),
                                ("value", measure, "measure")):  # fmt: skip
            found.where(
                cols[key].rows_where(lambda t: bool(t.strip()), rows),
                lambda at, key=key, part=part: (
                    f"{part} rows have no {key}: leave it empty",
                    f"в строках «{part}» столбец {key} не заполняется: оставьте его пустым",
                ),
                key,
            )
        for key, column in cols.items():
            found.errors(data, column, column.mojibake(), self.names.get(key, key))
        code = cols["code"]
        codes = found.parsed(data, code, parse_code, "code", everywhere=True)
        code_text = [c.upper() if isinstance(c, str) else "" for c in codes]
        found.where(
            data & code.rows([c is not None and not c for c in codes]),
            lambda at: ("the code is missing", "не указан код"),
            "code",
        )
        counts = found.parsed(indicator, cols["value"], parse_count, "value", everywhere=True)
        value = self._ceilings(found, indicator, code, code_text, _int64(cols["value"], counts, indicator))
        disaggregations = found.parsed(
            indicator, cols["disaggregation"], parse_disaggregation, "disaggregation"
        )
        statuses = found.parsed(measure, cols["status"], parse_status, "status")
        comments = found.parsed(data, cols["comment"], parse_text, "comment", everywhere=True)
        self.out.count_rows(int(data.sum()), int(lines[-1]))
        if found.problems:
            self.out.add_problems(found.report(lines), found.more)
            return
        if self.out.problems:
            return  # the file is refused anyway: keep no rows
        if indicator.any():
            table = {
                "source_row": lines[indicator],
                "indicator_code": code.spread(code_text, indicator),
                "disaggregation": disaggregations,
                "value": value,
                "is_reported": ~value.isna(),
                "comment": cols["comment"].spread_text(comments, indicator),
            }
            self.out.add_frame("indicator", table)
        if measure.any():
            table = {
                "source_row": lines[measure],
                "measure_code": code.spread(codes, measure),
                "status": statuses,
                "narrative": cols["comment"].spread_text(comments, measure),
            }
            self.out.add_frame("measure", table)

    @staticmethod
    def _ceilings(
        found: ChunkProblems, indicator: np.ndarray, code: CsvColumn, codes: list[str], reported
    ) -> pd.api.extensions.ExtensionArray:
        """Values over the ceiling of their unit (seed ``units``) refused; returns ``reported``."""
        lists = code_lists()
        ceilings = code.spread([lists.value_ceilings.get(c, lists.max_value) for c in codes], indicator)
        over = (reported > ceilings.astype(np.int64)).fillna(False).to_numpy(dtype=bool)
        positions = np.flatnonzero(indicator)
        rows = np.zeros(len(indicator), dtype=bool)
        rows[positions[over]] = True

        def message(at: int) -> Message:
            index = int(np.searchsorted(positions, at))
            try:
                check_ceiling(codes[code.codes[at]], int(reported[index]))
            except Refusal as exc:
                return exc.en, exc.ru
            return "", ""  # not reached: the row is over its ceiling

        found.where(rows, message, "value")
        return reported

    def _lines(self, rows: int, breaks: list[np.ndarray]) -> np.ndarray:
        """The line each row starts on: a row follows the line breaks inside the previous one."""
        inside = np.sum(breaks, axis=0) if breaks else np.zeros(rows, dtype=np.int64)
        lines = self.next_line + np.arange(rows) + np.concatenate(([0], np.cumsum(inside)[:-1]))
        self.next_line = int(lines[-1] + inside[-1] + 1)
        return lines
