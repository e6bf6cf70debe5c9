"""One chunk of a CSV report as the CSV reader checks it: each column factorised
(``CsvColumn``: its distinct values, and which one each row holds), so that every rule is
applied once per distinct value and spread to the rows; and the problems found
(``ChunkProblems``), kept in file order, one per cell, at most ``MAX_PROBLEMS`` per rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from programme_monitoring.report_format.collector import mojibake_refusal
from programme_monitoring.report_format.file_safety import MOJIBAKE_MARKERS, unescape_formula
from programme_monitoring.report_format.records import MAX_PROBLEMS, Problem, Refusal
from programme_monitoring.report_format.values import canonical_disaggregations, parse_disaggregation

Message = tuple[str, str]  # (English, Russian)
# Parsers with a way to decide many distinct values at once (a large annex's breakdowns).
BATCHES: dict[Callable, Callable[[list[str]], list]] = {parse_disaggregation: canonical_disaggregations}
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


class CsvColumn:
    """One column of a chunk: its distinct values in order of first appearance (``text``,
    formula escapes undone) and, per row, which of them it holds (``codes``). Every rule is
    applied once per distinct value, then spread to the rows."""

    def __init__(self, codes: np.ndarray, uniques: list[str]) -> None:
        self.codes, self.raw = codes, uniques
        # All distinct values in one string (NUL never occurs: refused before), searched at C
        # speed: most columns hold no formula escape, line break or mojibake at all.
        self.joined = "\x00" + "\x00".join(self.raw)
        escaped = "\x00'" in self.joined  # "'=1+2" from write_report
        self.text = [unescape_formula(u) for u in self.raw] if escaped else self.raw

    @classmethod
    def of_values(cls, values: pd.Series) -> CsvColumn:
        codes, uniques = pd.factorize(values.to_numpy(dtype=object))
        return cls(codes, uniques.tolist())

    @classmethod
    def of_arrow(cls, encoded) -> CsvColumn:
        """From a pyarrow dictionary array (a text column factorised in C++, ``dictionary_encode``)."""
        return cls(encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist())

    def __len__(self) -> int:
        return len(self.codes)

    def line_breaks(self) -> np.ndarray | None:
        """Per row, the line breaks inside its (quoted) value; None if there are none."""
        if "\n" not in self.joined and "\r" not in self.joined:
            return None
        return np.asarray([len(_LINE_BREAKS.findall(u)) for u in self.raw], dtype=np.int64)[self.codes]

    def rows(self, per_value: list[bool] | np.ndarray) -> np.ndarray:
        return np.asarray(per_value, dtype=bool)[self.codes]

    def value(self, at: int) -> str:
        return self.text[self.codes[at]]

    def rows_where(self, test: Callable[[str], bool], among: np.ndarray, raw: bool = False) -> np.ndarray:
        """Per row: in ``among`` and ``test`` of its (``raw``) text, tested once per value held there."""
        values, present = (self.raw if raw else self.text), np.unique(self.codes[among])
        per_value = np.zeros(len(values), dtype=bool)
        per_value[present] = [test(values[i]) for i in present.tolist()]
        return per_value[self.codes] & among

    def mojibake(self) -> dict[int, Message]:
        """{value index: reason} for the distinct values damaged by a wrong code page."""
        if self.joined.isascii() or not re.search(MOJIBAKE_MARKERS, self.joined):  # markers: not ASCII
            return {}
        return {
            i: (refusal.en, refusal.ru)
            for i, text in enumerate(self.text)
            if (refusal := mojibake_refusal(text))
        }

    def parse(self, func: Callable[[str], Any]) -> tuple[list, dict[int, Message]]:
        """func of each distinct value, after its ``BATCHES`` entry decided what it could at once."""
        batch = BATCHES.get(func)
        results, errors = (batch(self.text) if batch else [None] * len(self.text)), {}
        undecided = (i for i, decided in enumerate(results) if decided is None) if None in results else ()
        for i in undecided:
            try:
                results[i] = func(self.text[i])
            except Refusal as exc:
                errors[i] = (exc.en, exc.ru)
        return results, errors

    def spread(self, results: list, rows: np.ndarray) -> np.ndarray:
        return np.asarray(results, dtype=object)[self.codes[rows]]

    def spread_text(self, results: list, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """``spread`` of free text as pandas' ``str`` (pyarrow strings, as the XLSX and JSON readers
        give): the rows' text in one UTF-8 buffer, no Python string per row. Non-ASCII Python
        strings handed to pyarrow later (by the COPY) would each keep a UTF-8 copy of themselves:
        a report of long Russian comments held them twice."""
        import pyarrow as pa

        return pd.array(pa.array(results, type=pa.string()).take(self.codes[rows]), dtype="str")


class ChunkProblems:
    """The problems found in a chunk, in file order (then rule order), one per cell; at most
    MAX_PROBLEMS per rule are kept, the others counted."""

    def __init__(self, blank: np.ndarray) -> None:
        self.blank = blank  # blank rows are skipped, never refused
        self.problems: list[tuple[int, int, str, str, str]] = []  # (row in chunk, rule, en, ru, column)
        self.more = 0
        self.rule = 0

    def where(self, rows: np.ndarray, message: Callable[[int], Message], column: str) -> None:
        self.rule += 1
        at = np.flatnonzero(rows & ~self.blank)
        for i in at[:MAX_PROBLEMS]:
            en, ru = message(int(i))
            self.problems.append((int(i), self.rule, en, ru, column))
        self.more += max(len(at) - MAX_PROBLEMS, 0)

    def errors(self, rows: np.ndarray, column: CsvColumn, errors: dict[int, Message], name: str) -> None:
        """Refuse the rows (among ``rows``) holding a distinct value that has an error."""
        if not errors:
            return
        bad = np.zeros(len(column.text), dtype=bool)
        bad[list(errors)] = True
        self.where(rows & column.rows(bad), lambda at: errors[column.codes[at]], name)

    def parsed(self, rows, column: CsvColumn, func, name: str, everywhere: bool = False) -> np.ndarray | list:
        """``func`` of the column for ``rows`` (or, with ``everywhere``, the distinct results
        for all rows); a value it refuses is a problem."""
        results, errors = column.parse(func)
        self.errors(rows, column, errors, name)
        return results if everywhere else column.spread(results, rows)

    def report(self, lines: np.ndarray) -> list[Problem]:
        """The problems in file order, one per cell (the first rule's), as the collector's."""
        seen: set[tuple[int, str]] = set()
        out = []
        for at, _rule, en, ru, column in sorted(self.problems, key=lambda p: (p[0], p[1])):
            if (at, column) not in seen:
                seen.add((at, column))
                out.append(Problem(en, ru, "", int(lines[at]), column))
        return out
