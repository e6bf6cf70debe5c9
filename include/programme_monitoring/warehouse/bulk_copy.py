"""Fast COPY of column-wise data into a PostgreSQL table, with no Python work per row.

PostgreSQL's ``COPY ... FROM STDIN`` is the fastest way to load rows; what usually makes a
Python loader slow is building the payload row by row (``copy.write_row`` or string
formatting per row). Here the payload of a chunk is built column-wise:

* each column is factorised (``pandas.factorize`` or a ``Categorical``'s codes) and only
  its **distinct** values are rendered to COPY text (escaped, ``\\N`` for missing) in Python;
* the rendered values are spread back to the rows with numpy ``take`` into fixed-width
  byte fields of one structured array (value, delimiter, value, ..., line break);
* the array's bytes with the NUL padding removed are exactly the COPY text of the rows.

So the cost in Python is per distinct value, not per row: a chunk of a million rows with
a few hundred distinct values per column is rendered in C. A column that is already
rendered (a numpy ``bytes`` array, e.g. 64-character hex digests) is taken as it is.

Usage::

    with copy_into(conn, "raw.some_table", ["a", "b", "c"]) as copy:
        for frame in frames:  # pandas DataFrames, or lists of columns
            copy.write(copy_text([frame["a"], frame["b"], "constant"]))

A whole ``DataFrame`` of known column types (the intake's values and measures) goes faster
through pyarrow: ``copy_frame`` converts it to Arrow slice by slice (a categorical's
categories once; ``copy_frames`` does the same for frames arriving one after another, in
one COPY) and pyarrow's C++ writer renders each slice to CSV with Python's lock released, so
the rendering runs beside PostgreSQL's parsing and beside other Python threads (the
intake's suites and its reader). In CSV, a missing value is an empty unquoted field and
pyarrow quotes every text value, so NULL and the empty string stay apart::

    copy_frame(conn, "raw.some_table", frame, {"report_id": digest})  # constants last

``copy_into`` opens the COPY with psycopg's ``QueuedLibpqWriter``: ``write`` returns at
once and a worker thread sends the data, so the next chunk is prepared while PostgreSQL
parses the previous one. Values must not contain NUL (PostgreSQL's text cannot hold it):
``copy_text`` raises ``ValueError`` for one.
"""

from __future__ import annotations

import itertools
import queue
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

NULL = b"\\N"
# At most this many bytes of fixed-width fields are materialised at once: a chunk whose
# widest values are long is rendered in slices, so memory stays bounded whatever the data.
SLICE_BYTES = 32 << 20
COPY_SLICE_ROWS = 100_000  # rows rendered and sent at a time by copy_frame
# psycopg's queued writer holds up to 1,024 buffers of 128 KB not yet sent, and each keeps
# alive the whole slice it was cut from: when PostgreSQL parses slower than the slices are
# rendered (long text), 128 MB and more pile up. 16 MB keeps both sides busy.
QUEUED_BUFFERS = 128
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def escape(value: Any) -> bytes:
    """One value in COPY's text format: ``\\N`` for None/NaN, else ``str(value)`` escaped, UTF-8."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
        return NULL
    text = value if isinstance(value, str) else str(value)
    if "\x00" in text:
        raise ValueError("a value contains a NUL character, which PostgreSQL's text cannot store")
    return text.translate(_ESCAPES).encode("utf-8")


def rendered(values: Sequence[Any]) -> np.ndarray:
    """Distinct values rendered to COPY text, as a numpy bytes array, with ``\\N`` appended last
    (so a missing-value code of -1 takes ``\\N``)."""
    values = list(values)
    if values and pd.api.types.infer_dtype(values, skipna=False) == "string":  # all str, checked in C
        # Text that needs no escaping (the usual case: codes, labels) is only encoded, all
        # values at once; one search of all values joined finds the exceptions.
        joined = "\n".join(values)
        if joined.count("\n") == len(values) - 1 and not any(c in joined for c in "\\\t\r\x00"):
            return np.array([*joined.encode("utf-8").split(b"\n"), NULL], dtype=np.bytes_)
    return np.array([escape(v) for v in values] + [NULL], dtype=np.bytes_)


def _column(column: Any, n_rows: int) -> np.ndarray:
    """A column as a fixed-width numpy bytes array of COPY text (length n_rows, or 1 for a constant)."""
    if isinstance(column, (str, bytes)) or column is None:
        value = column if isinstance(column, bytes) else escape(column)
        return np.array([value], dtype=np.bytes_)
    if isinstance(column, np.ndarray) and column.dtype.kind == "S":
        return column  # already COPY text
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.CategoricalDtype):
        column = column.array
    numpy_integers = isinstance(column, (pd.Series, np.ndarray)) and isinstance(column.dtype, np.dtype)
    if numpy_integers and column.dtype.kind in "iu":  # not pandas' nullable Int64: it may hold NA
        if len(column) != n_rows:
            raise ValueError(f"a column has {len(column)} values, expected {n_rows}")
        return np.asarray(column).astype(np.bytes_)  # integers without missing values: numpy renders them
    if isinstance(column, pd.Categorical):
        codes, uniques = column.codes, column.categories
    else:
        codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
    if len(codes) != n_rows:
        raise ValueError(f"a column has {len(codes)} values, expected {n_rows}")
    return rendered(list(uniques))[codes]


def copy_text(columns: Sequence[Any], n_rows: int | None = None) -> bytes:
    """COPY text (tab-delimited, ``\\N`` = NULL, one line per row) of rows given column by column.

    Each column is one of: a ``str`` (or ``bytes`` already in COPY text) constant for every
    row; a numpy bytes array already in COPY text; a ``pandas.Categorical`` or categorical
    Series (its categories are rendered once); any other sequence (pandas Series, numpy
    array, list), factorised so each distinct value is rendered once. Missing values
    (None, NaN, NA) become ``\\N``; other values ``str(value)``, escaped.
    """
    if n_rows is None:
        n_rows = next(len(c) for c in columns if not isinstance(c, (str, bytes)) and c is not None)
    if n_rows == 0:
        return b""
    fields = [_column(c, n_rows) for c in columns]
    layout: list[tuple[str, str]] = []
    for i, field in enumerate(fields):
        layout += [(f"v{i}", f"S{max(field.dtype.itemsize, 1)}"), (f"d{i}", "S1")]
    record = np.dtype(layout)
    step = max(1, SLICE_BYTES // record.itemsize)
    parts = []
    for start in range(0, n_rows, step):
        stop = min(n_rows, start + step)
        block = np.zeros(stop - start, dtype=record)
        for i, field in enumerate(fields):
            block[f"v{i}"] = field if len(field) == 1 else field[start:stop]
            block[f"d{i}"] = b"\n" if i == len(fields) - 1 else b"\t"
        # Fixed-width fields are NUL-padded; no value holds a NUL, so dropping them all
        # leaves exactly value, tab, value, ..., newline for every row.
        parts.append(block.tobytes().replace(b"\x00", b""))
    return parts[0] if len(parts) == 1 else b"".join(parts)


def copy_frame(
    conn: psycopg.Connection, table: str, frame: pd.DataFrame, constants: dict[str, str] | None = None
) -> int:
    """COPY every column of ``frame``, then one column per ``constants`` entry holding its value
    in every row, into ``table`` (columns named alike), in CSV rendered by pyarrow; returns the
    rows copied."""
    return copy_frames(conn, table, [frame], constants)


def copy_frames(
    conn: psycopg.Connection,
    table: str,
    frames: Iterable[pd.DataFrame],
    constants: dict[str, str] | None = None,
) -> int:
    """``copy_frame`` of frames with the same columns, one after another, in one COPY statement
    (frames may come while it runs, e.g. from a queue); returns the rows copied."""
    import pyarrow as pa
    from pyarrow import csv as arrow_csv

    constant_values = {name: pa.array([value], pa.string()) for name, value in (constants or {}).items()}

    def arrow_slice(part: pd.DataFrame, dictionaries: dict[str, pa.Array]) -> pa.RecordBatch:
        columns = []
        for name in part.columns:
            if name in dictionaries:
                codes = part[name].cat.codes.to_numpy()
                indices = pa.array(codes, mask=codes < 0)  # code -1: missing
                columns.append(pa.DictionaryArray.from_arrays(indices, dictionaries[name]))
            else:
                column = pa.array(part[name], from_pandas=True)
                # pyarrow-backed text concatenated from chunks (a CSV report's comments) comes in pieces
                columns.append(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
        zeros = pa.array(np.zeros(len(part), dtype=np.int8))
        columns += [pa.DictionaryArray.from_arrays(zeros, value) for value in constant_values.values()]
        return pa.RecordBatch.from_arrays(columns, names=[*part.columns, *constant_values])

    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        return 0
    options, rows = arrow_csv.WriteOptions(include_header=False), 0
    with copy_into(conn, table, [*first.columns, *constant_values], csv=True) as copy:
        for frame in itertools.chain([first], frames):
            # Categories (a report's breakdowns, up to one per row) are converted to Arrow once
            # per frame; the rows slice by slice, so one slice of Arrow data is held beside it.
            dictionaries = {
                name: pa.array(frame[name].cat.categories.to_numpy(), from_pandas=True)
                for name in frame.columns
                if isinstance(frame[name].dtype, pd.CategoricalDtype)
            }
            for start in range(0, len(frame), COPY_SLICE_ROWS):
                sink = pa.BufferOutputStream()
                part = frame.iloc[start : start + COPY_SLICE_ROWS]
                arrow_csv.write_csv(arrow_slice(part, dictionaries), sink, options)
                copy.write(memoryview(sink.getvalue()))  # Arrow's buffer itself, not a copy
            rows += len(frame)
    return rows


@contextmanager
def copy_into(
    conn: psycopg.Connection, table: str, columns: Sequence[str], csv: bool = False
) -> Iterator[psycopg.Copy]:
    """``COPY table (columns) FROM STDIN`` with a queued writer (data is sent by a worker thread);
    in PostgreSQL's text format, or with ``csv`` in CSV (an empty unquoted field is NULL).

    ``table`` may be schema-qualified (``raw.urs_events``); names are quoted as identifiers.
    Runs in the connection's current transaction: nothing is visible until it commits.
    """
    statement = sql.SQL("copy {} ({}) from stdin{}").format(
        sql.Identifier(*table.split(".")),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(" (format csv)" if csv else ""),
    )
    cursor = conn.cursor()
    with cursor.copy(statement, writer=_BoundedQueuedWriter(cursor)) as copy:
        yield copy


class _BoundedQueuedWriter(QueuedLibpqWriter):
    """psycopg's queued writer with a queue of ``QUEUED_BUFFERS``."""

    def __init__(self, cursor: psycopg.Cursor) -> None:
        super().__init__(cursor)
        self._queue = queue.Queue(maxsize=QUEUED_BUFFERS)
