"""The records every report format is parsed into (report template, version 1).

XLSX, CSV and JSON reports all become one ``ParsedReport``: a header and two tables.
Row numbers point back into the source file (spreadsheet row or CSV line, 1-based,
counting the header line) so that every error can name the row to fix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from programme_monitoring.report_format.labels import TOTAL

TEMPLATE_VERSION = 1
FORMATS = ("xlsx", "csv", "json")  # the file formats a report comes in, by file suffix

# "Not reported" is never 0: such a value has value NULL and is_reported False.
INDICATOR_COLUMNS = [
    "source_sheet",  # sheet name for XLSX, "" for CSV and JSON
    "source_row",  # row in the source (spreadsheet row, CSV line, JSON array index + 1)
    "indicator_code",
    "disaggregation",  # "total" or "dimension=value", e.g. "sex=female"; a Categorical (text_categorical)
    "value",  # pandas Int64 (nullable)
    "is_reported",  # bool
    "comment",
]
MEASURE_COLUMNS = ["source_sheet", "source_row", "measure_code", "status", "narrative"]


def text_categorical(column: pd.Series) -> pd.Categorical:
    """A text column as a Categorical, its categories in order of first appearance (not sorted).

    A large annex has a distinct breakdown per row (``event=...``, a million of them): kept as
    a Categorical, the report's breakdowns are hashed once, here, and whatever needs them
    distinct (the suites' frames, the COPY's text, the review frames) works on the codes;
    ``astype("category")`` would also sort them, which costs more than hashing."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.array
    codes, uniques = pd.factorize(column.to_numpy(dtype=object))
    # pd.factorize's uniques are distinct: the dtype skips the check that they are, which hashes
    # them all again (0.2 s per million breakdowns); pandas' own constructors take this path.
    dtype = pd.CategoricalDtype._from_fastpath(pd.Index(uniques, dtype=object), ordered=False)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def total_rows(disaggregation: pd.Series) -> np.ndarray:
    """Per row, whether its breakdown is the total: found among the distinct breakdowns and
    spread by their codes (``==`` on a categorical hashes every category, and a large annex has
    a million)."""
    breakdowns = text_categorical(disaggregation)
    total = np.flatnonzero(breakdowns.categories.to_numpy(dtype=object) == TOTAL)
    return np.isin(breakdowns.codes, total)


@dataclass(frozen=True)
class ReportHeader:
    state_code: str  # ISO 3166-1 alpha-2, e.g. "KZ"
    authority: str  # the competent authority that submitted the report
    programme_code: str  # THB, IM or CR
    reporting_year: int
    submission_date: dt.date
    version: int  # 1 for the first submission, higher for corrections


@dataclass
class ParsedReport:
    source_file: Path
    file_format: str  # one of FORMATS
    header: ReportHeader
    indicator_values: pd.DataFrame = field(repr=False)  # INDICATOR_COLUMNS
    measures: pd.DataFrame = field(repr=False)  # MEASURE_COLUMNS
    # Set when the values were checked as they were read and not held (a large CSV report,
    # ``quality.slices``): how many were read; ``indicator_values`` then holds only the rows
    # the checks across rows compare (totals, parts by sex and by age group), and
    # ``values_findings`` what the suite of indicator values found on all of them.
    streamed_rows: int | None = None
    values_findings: list = field(default_factory=list, repr=False)

    @property
    def value_count(self) -> int:
        """How many indicator values the report has (held or not)."""
        return len(self.indicator_values) if self.streamed_rows is None else self.streamed_rows


def where(sheet: str = "", row: int | None = None, column: str = "", *, bilingual: bool = False) -> str:
    """Where in a report a problem is: "sheet 'Indicators', row 12, column 'value'" (the one
    formatter of a place; ``bilingual`` gives "sheet/лист ..., row/строка ..., column/столбец ...").
    Empty when nothing is known."""
    words = ("sheet/лист", "row/строка", "column/столбец") if bilingual else ("sheet", "row", "column")
    parts = []
    if sheet:
        parts.append(f"{words[0]} {sheet!r}")
    if row is not None:
        parts.append(f"{words[1]} {row}")
    if column:
        parts.append(f"{words[2]} {column!r}")
    return ", ".join(parts)


# At most this many problems of one file are listed (then "and N more"): enough to fix a
# file in one round, short enough to read.
MAX_PROBLEMS = 50


class Refusal(ValueError):
    """A value (or part of a file) refused, saying why and what to write instead, in English
    and in Russian; ``str()`` is the English text."""

    def __init__(self, en: str, ru: str) -> None:
        super().__init__(en)
        self.en, self.ru = en, ru


@dataclass(frozen=True)
class Problem:
    """One problem of a report file: the reason in both languages and where it stands."""

    en: str
    ru: str
    sheet: str = ""
    row: int | None = None
    column: str = ""

    def where(self, *, bilingual: bool = False) -> str:
        return where(self.sheet, self.row, self.column, bilingual=bilingual)


class ReportFormatError(ValueError):
    """A report that cannot be read as template version 1; says where and what to fix.

    ``problems`` lists every problem found (root causes first, at most ``MAX_PROBLEMS``;
    ``more`` counts those left out); ``reason``, ``reason_ru``, ``sheet``, ``row`` and
    ``column`` are the first one's."""

    def __init__(
        self,
        file: Path | str,
        message: str,
        *,
        sheet: str = "",
        row: int | None = None,
        column: str = "",
        message_ru: str = "",
        problems: list[Problem] | None = None,
        more: int = 0,
    ) -> None:
        first = Problem(message, message_ru or message, sheet, row, column)
        self.problems = list(problems) if problems else [first]
        self.more = more
        head = self.problems[0]
        self.file, self.sheet, self.row, self.column = str(file), head.sheet, head.row, head.column
        self.reason, self.reason_ru = head.en, head.ru
        place = ", ".join(filter(None, (f"file {Path(file).name}", head.where())))
        others = len(self.problems) - 1 + more
        tail = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
        super().__init__(f"{place}: {head.en}{tail}")

    def lines(self) -> list[str]:
        """Every problem as one line, "place: English / Russian", then "and N more"."""
        out = [f"{p.where(bilingual=True) + ': ' if p.where() else ''}{p.en} / {p.ru}" for p in self.problems]
        if self.more:
            out.append(f"and {self.more} more problems / и ещё {self.more} проблем(ы)")
        return out
