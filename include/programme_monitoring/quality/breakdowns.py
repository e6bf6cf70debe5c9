"""What the suites and the review frames read from breakdowns ("sex=female", "event=EVT-1",
"total"): the prefix of each (its dimension), "CODE:dimension" per row for the suite's check of
allowed breakdowns, and the rows the checks across rows compare (totals, parts by sex and by
age group). A large annex has a million distinct breakdowns: each is split once, in C++, a
slice at a time, and the answer kept for the next question about the same breakdowns.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from programme_monitoring.process_memory import give_back
from programme_monitoring.report_format.records import text_categorical, total_rows


def indicator_dimension(values: pd.DataFrame, reportable: set[str]) -> pd.Categorical:
    """ "CODE:dimension" per row (e.g. "THB02:sex"), NA where the code is not reportable;
    built once per distinct (code, dimension) pair, not once per row."""
    codes, disaggregation = values["indicator_code"].cat, values["disaggregation"].cat
    dimension_codes, prefix_texts = prefixes(disaggregation.categories)
    dimensions = [p.removesuffix("=") for p in prefix_texts]  # "event=" -> "event"
    width = max(len(dimensions), 1)
    pairs = codes.codes.astype("int64") * width + dimension_codes[disaggregation.codes]
    pair_codes, distinct = pd.factorize(pairs)
    labels: dict[str, int] = {}  # label -> its category code
    label_of_pair = np.full(len(distinct), -1, dtype=np.int64)  # -1: NA
    for i, pair in enumerate(distinct.tolist()):
        if (code := codes.categories[pair // width]) in reportable:
            label_of_pair[i] = labels.setdefault(f"{code}:{dimensions[pair % width]}", len(labels))
    categories = pd.Index(list(labels), dtype=object)
    return pd.Categorical.from_codes(label_of_pair[pair_codes], categories=categories)


# The last breakdowns ``prefixes`` was asked about (weakly held) and its answer: the suites'
# frames and the review frames of a report ask about the same categories (an immutable Index).
_last_prefixes: list = [lambda: None, None]
PREFIX_SLICE = 1 << 18  # breakdowns split at once by ``prefixes``


def prefixes(breakdowns: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """The prefix of each breakdown up to its first "=" (included; "event=EVT-1" -> "event=",
    "total" -> "total"), factorised: (code per breakdown, distinct prefixes). A large annex has
    a million distinct breakdowns: they are split and encoded by pyarrow, in C++, a slice at a
    time (a slice's arrow strings and lists, not the whole report's, are held at once)."""
    if _last_prefixes[0]() is breakdowns:
        return _last_prefixes[1]
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = breakdowns.to_numpy(dtype=object)
    codes = np.empty(len(texts), dtype=np.intp)
    prefix_codes: dict[str, int] = {}  # prefix -> its code, in order of first appearance
    for at in range(0, len(texts), PREFIX_SLICE):
        parts = pc.split_pattern(pa.array(texts[at : at + PREFIX_SLICE], type=pa.string()), "=", max_splits=1)
        heads = pc.list_element(parts, 0).dictionary_encode()  # what comes before the first "="
        has_sign = pc.list_value_length(parts).to_numpy(zero_copy_only=False) > 1
        local, pairs = pd.factorize(heads.indices.to_numpy(zero_copy_only=False) * 2 + has_sign)
        names = heads.dictionary.to_pylist()
        seen = [prefix_codes.setdefault(names[p // 2] + "=" * (p % 2), len(prefix_codes)) for p in pairs]
        codes[at : at + PREFIX_SLICE] = np.asarray(seen, dtype=np.intp)[local]
    give_back()  # the slices' arrow buffers
    _last_prefixes[:] = [weakref.ref(breakdowns), (codes, np.asarray(list(prefix_codes), dtype=object))]
    return _last_prefixes[1]


def row_prefixes(disaggregation: pd.Series) -> pd.Categorical:
    """Per row, the prefix of its breakdown (``prefixes``; missing where it has none)."""
    breakdowns = text_categorical(disaggregation)  # the report's own: its codes, no hashing
    codes = breakdowns.codes
    prefix_codes, prefix_texts = prefixes(breakdowns.categories)
    return pd.Categorical.from_codes(
        np.append(prefix_codes, -1)[codes], categories=pd.Index(prefix_texts, dtype=object)
    )


# The parts ``validation.warning_frames`` compares with their total.
COMPARED_PARTS = ("sex=", "age_group=")


def compared_rows(values: pd.DataFrame) -> np.ndarray:
    """Per row of indicator values, whether a check across rows compares it: a total
    (``validation.warning_frames``, ``intake.checks.completeness``) or one of the ``COMPARED_PARTS``."""
    return total_rows(values["disaggregation"]) | np.asarray(
        row_prefixes(values["disaggregation"]).isin(COMPARED_PARTS)
    )
