"""The blocking suite of indicator values run slice by slice while a large report is read.

A large CSV report's values go to PostgreSQL as they are read (``intake.head_start``). Held
until the suites ran, they would make the intake's memory grow with the file: 300 MB over
its own at 1,000,000 rows, 550 MB at 2,000,000. Past ``intake.reading.HOLD_BYTES`` the
report is not held: ``SliceChecks`` takes its values as the reader hands them over and runs
the suite ``indicator_values.blocking`` on each slice of ``SLICE_ROWS`` rows. The report
keeps only the rows the checks across rows compare (``breakdowns.compared_rows``: totals,
parts by sex and by age group), so reading it takes about the same memory at any size.

A rule a slice breaks lists its first rows and counts the others; the slices' lists are
joined up to ``MAX_PROBLEMS`` rows a rule and their counts added, which is what the suite
finds on the report held whole (its first rows, then "and N more"): a hostile report is
refused as fast as a clean one loads, in the same memory. The rules are per row but two:
the row count (a slice has rows) and that no two rows share an indicator and breakdown,
which a slice sees only within itself. For that one, each row leaves a 64-bit key of its
indicator and breakdown (8 bytes a row), and the keys of different slices are compared once
the file is read. A report with two rows alike in different slices (or, very rarely, two
different rows with the same key) is read again whole and validated as every smaller report
is, so that its findings name each row exactly.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from programme_monitoring.quality import breakdowns, suites, validation
from programme_monitoring.quality.findings import Finding
from programme_monitoring.reference import load_reference
from programme_monitoring.report_format.collector import indicator_table
from programme_monitoring.report_format.records import INDICATOR_COLUMNS, MAX_PROBLEMS, ReportHeader

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
        self.whole = False  # True: the report is to be validated whole (see ``finish``)
        self._parameters: dict | None = None
        self._definition = None  # the suite (GX validation definition), with the parameters
        self._pending: list[pd.DataFrame] = []
        self._pending_rows = 0
        self._keys: list[np.ndarray] = []  # each slice's distinct keys
        self._compared: list[pd.DataFrame] = []
        self._broken: dict[int, tuple[list[Finding], int]] = {}  # rule's place -> (rows listed, rows)

    def add(self, header: ReportHeader, values: pd.DataFrame) -> None:
        self.header = header
        self.rows += len(values)
        if self.whole:
            return  # read again whole: nothing more to check
        self._pending.append(values)
        self._pending_rows += len(values)
        if self._pending_rows >= SLICE_ROWS:
            self._check()

    def finish(self) -> list[Finding] | None:
        """The suite's findings on every value read, as on the report held whole; None if the
        report is to be validated whole instead: two rows alike in different slices (or, very
        rarely, two keys alike), or a slice the suite failed on."""
        self._check()
        if not self.whole and self._keys:
            keys, self._keys = np.concatenate(self._keys), []
            keys.sort()  # in place: 8 bytes a row, once
            self.whole = bool((keys[1:] == keys[:-1]).any())  # (each slice's own are distinct)
        if self.whole or not self.rows:
            return None
        found: list[Finding] = []
        for place in sorted(self._broken):  # the rules in the suite's order, as GX reports them
            listed, rows = self._broken[place]
            found += listed
            if rows > len(listed):
                found.append(validation.more_rows(listed[-1], rows - len(listed)))
        return found

    def compared_values(self) -> pd.DataFrame:
        """The rows of the report's indicator values the checks across rows compare."""
        return indicator_table(self._compared or [pd.DataFrame(columns=INDICATOR_COLUMNS)])

    def _check(self) -> None:
        values, self._pending, self._pending_rows = self._pending, [], 0
        if not values or self.whole:
            return
        try:
            self._check_slice(values)
        except Exception:  # noqa: BLE001 - the report is validated whole instead, failures and all
            log.debug("%s: the suite failed on a slice", self.path.name, exc_info=True)
            self.whole = True

    def _check_slice(self, values: list[pd.DataFrame]) -> None:
        if self._parameters is None:  # the suite and its parameters, for the report's programme and year
            h = self.header
            self._parameters = validation.parameters_for(
                h.programme_code, h.reporting_year, load_reference(), self.current_year
            )
            self._definition = suites.context().validation_definitions.get(SUITE)
        file = str(self.path)
        reportable = set(self._parameters["reportable_indicators"])
        frame = validation.values_frame(values, [file] * len(values), reportable)
        compared = np.flatnonzero(breakdowns.compared_rows(frame))
        starts = np.cumsum([0] + [len(v) for v in values])
        for chunk, start, end in zip(values, starts, starts[1:], strict=False):
            if len(rows := compared[(compared >= start) & (compared < end)]):
                self._compared.append(chunk.iloc[rows - start])
        del values  # (the chunks, with their comments: the frame has what the suite reads)
        result = validation.validated(self._definition, SUITE, "indicator_values", frame, self._parameters)
        keys = _keys(frame["indicator_code"].array, frame["disaggregation"].array)
        for place, outcome in enumerate(result.results):
            if outcome.success:
                continue
            if outcome.expectation_config.meta["rule"] == "indicator_unique":
                keys = np.unique(keys)  # the slice's rows alike are listed: compared once only
            listed, rows = validation.file_findings(SUITE, "indicator_values", outcome, frame, file)
            kept, counted = self._broken.get(place, ([], 0))
            if not rows:  # a rule of the whole table: said once
                self._broken[place] = (kept or listed, 0)
                continue
            self._broken[place] = (kept + listed[: MAX_PROBLEMS - len(kept)], counted + rows)
        suites.forget_validated_frames()
        self._keys.append(keys)


def _keys(codes: pd.Categorical, breakdowns: pd.Categorical) -> np.ndarray:
    """A 64-bit key per row of its indicator and breakdown, from Python's hash of each distinct
    text (computed once already, when they were factorised; the same within one process)."""
    # (over the categories' array, not their Index: an Index iterates at half the speed)
    code_hash, text_hash = (
        np.fromiter(map(hash, c.categories.to_numpy()), dtype=np.int64, count=len(c.categories))
        for c in (codes, breakdowns)
    )
    code_hash, text_hash = np.append(code_hash, 0), np.append(text_hash, 0)  # a missing one, code -1: 0
    with np.errstate(over="ignore"):
        return text_hash[breakdowns.codes] * np.int64(1_000_003) ^ code_hash[codes.codes]
