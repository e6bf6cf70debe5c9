"""The blocking suite of indicator values run slice by slice while a large report is read.

A large CSV report's values go to PostgreSQL as they are read (``intake.head_start``). Held
until the suites ran, they would make the intake's memory grow with the file: 300 MB over
its own at 1,000,000 rows, 550 MB at 2,000,000. Past ``intake.reading.HOLD_BYTES`` the
report is not held: ``SliceChecks`` takes its values as the reader hands them over and runs
the suite ``indicator_values.blocking`` on each slice of ``SLICE_ROWS`` rows. The report
keeps only the rows the checks across rows compare (``validation.compared_rows``: totals,
parts by sex and by age group), so reading it takes about the same memory at any size.

The suite's rules are per row but two: the row count (a slice has rows) and that no two rows
share an indicator and breakdown, which a slice sees only within itself. For that one, each
row leaves a 64-bit key of its indicator and breakdown (8 bytes a row), compared once the
file is read. Only a report that passes every slice and whose keys all differ is decided
this way. Any other (a rule broken, two rows alike, or, very rarely, two different rows with
the same key) is read again whole and validated as every smaller report is, so that its
findings are exactly theirs, each row named.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from programme_monitoring.quality import suites, validation
from programme_monitoring.reference import load_reference
from programme_monitoring.report_format.collector import indicator_table
from programme_monitoring.report_format.records import INDICATOR_COLUMNS, ReportHeader

log = logging.getLogger(__name__)

SUITE = "indicator_values.blocking"
SLICE_ROWS = 1 << 18  # a GX run costs a fixed ~0.05 s: four per million rows


class SliceChecks:
    """A ``collector.ValuesSink``: the suite run on the values of one file as they are read."""

    def __init__(self, path: Path, current_year: int) -> None:
        self.path, self.current_year = path, current_year
        self.forget()

    def forget(self) -> None:
        """Start again (the reader read the file again from the start)."""
        self.header: ReportHeader | None = None
        self.rows = 0
        self.failed = False
        self._parameters: dict | None = None
        self._pending: list[pd.DataFrame] = []
        self._pending_rows = 0
        self._keys: list[np.ndarray] = []
        self._compared: list[pd.DataFrame] = []

    def add(self, header: ReportHeader, values: pd.DataFrame) -> None:
        self.header = header
        self.rows += len(values)
        if self.failed:
            return  # read again whole: nothing more to check
        self._pending.append(values)
        self._pending_rows += len(values)
        if self._pending_rows >= SLICE_ROWS:
            self._check()

    def passed(self) -> bool:
        """Whether every value passed the suite and no two rows share an indicator and breakdown."""
        self._check()
        if not self.failed and self._keys:
            keys, self._keys = np.concatenate(self._keys), []
            keys.sort()  # in place: 8 bytes a row, once
            self.failed = bool((keys[1:] == keys[:-1]).any())
        self._keys = []
        return self.rows > 0 and not self.failed

    def compared_values(self) -> pd.DataFrame:
        """The rows of the report's indicator values the checks across rows compare."""
        return indicator_table(self._compared or [pd.DataFrame(columns=INDICATOR_COLUMNS)])

    def _check(self) -> None:
        values, self._pending, self._pending_rows = self._pending, [], 0
        if not values or self.failed:
            return
        try:
            self._check_slice(values)
        except Exception:  # noqa: BLE001 - the report is validated whole instead, failures and all
            log.debug("%s: the suite failed on a slice", self.path.name, exc_info=True)
            self.failed = True

    def _check_slice(self, values: list[pd.DataFrame]) -> None:
        if self._parameters is None:  # the suite's, for the report's programme and year
            h = self.header
            self._parameters = validation.parameters_for(
                h.programme_code, h.reporting_year, load_reference(), self.current_year
            )
        reportable = set(self._parameters["reportable_indicators"])
        frame = validation.values_frame(values, [str(self.path)] * len(values), reportable)
        compared = np.flatnonzero(validation.compared_rows(frame))
        starts = np.cumsum([0] + [len(v) for v in values])
        for chunk, start, end in zip(values, starts, starts[1:], strict=False):
            if len(rows := compared[(compared >= start) & (compared < end)]):
                self._compared.append(chunk.iloc[rows - start])
        del values  # (the chunks, with their comments: the frame has what the suite reads)
        definition = suites.context().validation_definitions.get(SUITE)
        result = validation.validated(definition, SUITE, "indicator_values", frame, self._parameters)
        suites.forget_validated_frames()
        self.failed = not result.success
        self._keys.append(_keys(frame["indicator_code"].array, frame["disaggregation"].array))


def _keys(codes: pd.Categorical, breakdowns: pd.Categorical) -> np.ndarray:
    """A 64-bit key per row of its indicator and breakdown, from Python's hash of each distinct
    text (computed once already, when they were factorised; the same within one process)."""
    code_hash = np.fromiter(map(hash, codes.categories), dtype=np.int64, count=len(codes.categories))
    text_hash = np.fromiter(
        map(hash, breakdowns.categories), dtype=np.int64, count=len(breakdowns.categories)
    )
    code_hash, text_hash = np.append(code_hash, 0), np.append(text_hash, 0)  # a missing one, code -1: 0
    with np.errstate(over="ignore"):
        return text_hash[breakdowns.codes] * np.int64(1_000_003) ^ code_hash[codes.codes]
