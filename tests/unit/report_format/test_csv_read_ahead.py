"""pyarrow's reader thread reads a CSV report only a few blocks ahead of the parsing.

Left to itself it reads up to 32 blocks ahead (128 MB of a large annex, the whole of a smaller
one), held while the parser catches up. Where its file stands is read from the operating system
(``/proc/self/fdinfo``), so these tests hold whatever opens the file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pytest
from programme_monitoring.report_format import csv_reader
from programme_monitoring.report_format.labels import CSV_COLUMNS
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import ReportFormatError

pytestmark = pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs Linux's /proc")

BLOCK = 64 << 10
HEAD = "KZ,МВД Республики Казахстан,THB,2016,2017-02-14,1"


def annex(path: Path, rows: int, encoding: str, bad_row: int | None = None) -> list[int]:
    """A report of ``rows`` values with Cyrillic comments (two bytes a letter in UTF-8, one in
    Windows-1251); returns where each data row ends in the file, in bytes."""
    lines = [",".join(CSV_COLUMNS)] + [
        f"{HEAD},indicator,THB01,event=e{i},{i % 97},,примечание к строке {i}" for i in range(rows)
    ]
    if bad_row is not None:
        lines[bad_row] += ",an extra field"
    encoded = [(line + "\n").encode(encoding) for line in lines]
    path.write_bytes(b"".join(encoded))
    return list(np.cumsum([len(line) for line in encoded])[1:])


def read_position(path: Path) -> int:
    """How far the file open on ``path`` has been read (the furthest, if it is open twice)."""
    positions = [0]
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                positions.append(int(Path(f"/proc/self/fdinfo/{fd}").read_text().split()[1]))
        except OSError:  # closed meanwhile
            continue
    return max(positions)


class Ahead:
    """A values sink noting, as each chunk of rows arrives, how far the file was read past them."""

    def __init__(self, path: Path, row_ends: list[int]) -> None:
        self.path, self.row_ends, self.ahead = path, row_ends, []

    def add(self, header, values) -> None:
        last_row = int(values["source_row"].max())  # its line: the heading is line 1
        self.ahead.append(read_position(self.path) - self.row_ends[last_row - 2])

    def forget(self) -> None:
        self.ahead = []


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "ARROW_BLOCK_BYTES", BLOCK)
    monkeypatch.setattr(csv_reader, "CSV_CHUNK_ROWS", 500)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251"])
def test_the_file_is_read_a_few_blocks_ahead_of_the_rows_handed_over(
    tmp_path: Path, small_blocks, encoding: str, caplog
) -> None:
    path = tmp_path / "annex.csv"
    row_ends = annex(path, 60_000, encoding)
    assert row_ends[-1] > 60 * BLOCK  # far more blocks than pyarrow reads ahead by itself
    sink = Ahead(path, row_ends)
    with caplog.at_level(logging.DEBUG, logger=csv_reader.__name__):
        report = parse_report(path, sink)
    assert report.value_count == 60_000
    assert len(sink.ahead) >= 100
    # the paced blocks (4), the batch the read-ahead thread parses, the one handed over; pyarrow alone: 32
    assert max(sink.ahead) <= 8 * BLOCK
    assert "without its turn" not in caplog.text  # the reader always had its turn in time


def test_a_file_the_fast_reader_stops_on_half_way_is_read_again_and_refused_in_time(
    tmp_path: Path, small_blocks, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """The fast reader stops at a row with a field too many, leaving its reader thread mid-file:
    nothing waits for a turn that never comes; the exact reader names the row."""
    monkeypatch.setattr(csv_reader._PacedFile, "PACE_SECONDS", 1.0)
    path = tmp_path / "annex.csv"
    annex(path, 60_000, "utf-8", bad_row=30_000)
    with caplog.at_level(logging.DEBUG, logger=csv_reader.__name__):
        with pytest.raises(ReportFormatError) as refused:
            parse_report(path)
    assert any(p.row == 30_001 for p in refused.value.problems)
    assert "without its turn" not in caplog.text
    assert read_position(path) == 0  # no file left open
