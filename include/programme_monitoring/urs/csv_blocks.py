"""Reading a large CSV file in blocks of whole records: pandas' C reader where it can, else the csv module.

The file is read in blocks of about ``size`` bytes that end at a record boundary (a line
break outside quotes), so memory stays flat whatever the file's size and line numbers stay
exact. Each block is parsed one of two ways, with the same result:

* fast: a block without quotes or NUL whose every line has exactly (header width - 1)
  commas (checked with numpy) is parsed by pandas' C reader, only the columns asked for;
* exact: any other block (quoted fields, blank lines, malformed lines, bad UTF-8) goes
  through Python's csv module, which names the exact line of each problem (never a value),
  in English and in Russian (the caller writes the line number into both).

The text is UTF-8; a line that is not is a problem of that line, not of the file. What a
column may hold is the caller's business: this module hands back the columns as read.
Used by the URS intake (``programme_monitoring.urs.reader``). The member-state report
reader (``report_format.csv_reader``) reads whole files through pandas' chunked reader
instead: its files may be Windows-1251, its fast path takes quoted values and it stops at
the first problem.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pandas as pd

# A record that is not UTF-8 text, in English and Russian (also the header's: urs.reader).
NOT_UTF8 = ("not UTF-8 text", "текст не в кодировке UTF-8")


def read_header(f: BinaryIO) -> tuple[list[str], int]:
    """The header record's fields (BOM dropped) and the lines it spans; raises UnicodeDecodeError."""
    raw, lines = b"", 0
    while line := f.readline():
        raw, lines = raw + line, lines + 1
        if raw.count(b'"') % 2 == 0:
            break
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return (rows[0] if rows else []), lines


def record_end(buf: bytes, force: bool) -> int:
    """Offset just after the last line break of buf outside quotes (0: none); ``force``: any line break."""
    end = buf.rfind(b"\n")
    if end < 0:
        return 0
    if not force and b'"' in buf:
        odd = buf.count(b'"', 0, end) % 2
        while odd:
            previous = buf.rfind(b"\n", 0, end)
            if previous < 0:
                return 0
            odd ^= buf.count(b'"', previous, end) % 2
            end = previous
    return end + 1


def blocks(f: BinaryIO, first_line: int, size: int) -> Iterator[tuple[int, bytes]]:
    """(number of its first line, bytes) of blocks of whole records, each ending with a line break."""
    rest = b""
    while True:
        data = f.read(size)
        buf = rest + data if rest else data
        if not data:
            if buf:
                yield first_line, buf if buf.endswith(b"\n") else buf + b"\n"
            return
        cut = record_end(buf, force=len(buf) > 4 * size)  # a stray quote must not make it grow forever
        if cut:
            yield first_line, buf[:cut]
            first_line += buf.count(b"\n", 0, cut)
        rest = buf[cut:]


@dataclass
class ParsedBlock:
    lines: np.ndarray  # line number of each well-formed record
    columns: dict[str, object]  # column -> its values (pandas Categorical or object array)
    problems: list[tuple[int, str, str]]  # (line, what is wrong in English, in Russian) of malformed records


def parse_block(
    block: bytes, first_line: int, header: Sequence[str], used: Sequence[str], categorical: Collection[str]
) -> ParsedBlock:
    """The ``used`` columns of a block (``categorical`` ones as pandas Categoricals where parsed fast)."""
    return parse_fast(block, first_line, header, used, categorical) or parse_exact(
        block, first_line, header, used
    )


def parse_fast(
    block: bytes, first_line: int, header: Sequence[str], used: Sequence[str], categorical: Collection[str]
) -> ParsedBlock | None:
    """pandas' C reader on a block that allows it (see the module's docstring); None if it does not."""
    if b'"' in block or b"\x00" in block or not every_line_has_width(block, len(header)):
        return None
    positions = [header.index(name) for name in used]
    try:
        frame = pd.read_csv(
            io.BytesIO(block),
            header=None,
            names=list(range(len(header))),
            usecols=positions,
            index_col=False,
            dtype={
                # object: Python strings, as the checks take them (str would be pyarrow's, converted back)
                p: ("category" if n in categorical else object)
                for p, n in zip(positions, used, strict=True)
            },
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            encoding="utf-8",
        )
    except (ValueError, UnicodeDecodeError):  # pandas' ParserError is a ValueError
        return None
    lines = block.count(b"\n")
    if len(frame) != lines:  # e.g. a lone carriage return, which the C reader takes as a line break
        return None
    columns = {}
    for name, position in zip(used, positions, strict=True):
        values = frame[position]
        columns[name] = values.array if name in categorical else values.to_numpy(dtype=object)
    return ParsedBlock(np.arange(first_line, first_line + lines), columns, [])


def every_line_has_width(block: bytes, width: int) -> bool:
    """Whether every line of a block without quotes has exactly ``width - 1`` commas (vectorised)."""
    octets = np.frombuffer(block, dtype=np.uint8)
    breaks = np.flatnonzero(octets == 10)
    commas = np.flatnonzero(octets == 44)
    per_line = width - 1
    if len(commas) != len(breaks) * per_line:
        return False
    if per_line == 0:
        return True
    # Commas are sorted: line i owns commas i*(width-1) ... i*(width-1) + width-2.
    previous_break = np.concatenate(([-1], breaks[:-1]))
    return bool(
        (commas[::per_line] > previous_break).all() and (commas[per_line - 1 :: per_line] < breaks).all()
    )


def parse_exact(block: bytes, first_line: int, header: Sequence[str], used: Sequence[str]) -> ParsedBlock:
    """The csv module on any block: blank lines skipped, each malformed record a problem of its line."""
    width = len(header)
    try:
        text, utf8 = block.decode("utf-8"), True
    except UnicodeDecodeError:  # undecodable bytes become lone surrogates: their lines are refused
        text, utf8 = block.decode("utf-8", errors="surrogateescape"), False
    positions = [header.index(name) for name in used]
    values: list[list[str]] = [[] for _ in used]
    lines, problems = [], []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = first_line
    try:
        for row in reader:
            line, start = start, first_line + reader.line_num
            if not row:
                continue  # a blank line
            if not utf8 and not _is_utf8(row):
                problems.append((line, *NOT_UTF8))
                continue
            if len(row) != width:
                problems.append(
                    (
                        line,
                        f"{len(row)} fields, the header has {width}",
                        f"число полей ({len(row)}) не совпадает с числом столбцов заголовка ({width})",
                    )
                )
                continue
            lines.append(line)
            for column, position in zip(values, positions, strict=True):
                column.append(row[position])
    except csv.Error as error:  # its messages name no value
        problems.append((start, f"not readable as CSV ({error})", f"не читается как CSV ({error})"))
    return ParsedBlock(
        np.array(lines, dtype=np.int64),
        {name: np.array(column, dtype=object) for name, column in zip(used, values, strict=True)},
        problems,
    )


def _is_utf8(row: list[str]) -> bool:
    try:
        "".join(row).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
