"""quality.slices: the keys that find two rows alike in different slices of a report read as a stream."""

from __future__ import annotations

import numpy as np
import pandas as pd
from programme_monitoring.quality import breakdowns, slices
from programme_monitoring.report_format.records import text_categorical

ROWS = [("THB01", "total"), ("THB01", "article=127.1"), ("THB02", "article=127.1"), ("THB02", "total")]


def keys(rows: list[tuple[str, str]]) -> np.ndarray:
    codes = text_categorical(pd.Series([code for code, _ in rows], dtype=object))
    breakdowns = text_categorical(pd.Series([text for _, text in rows], dtype=object))
    return slices._keys(codes, breakdowns)


def test_a_row_has_the_same_key_in_any_slice_and_different_rows_different_keys() -> None:
    first, other = keys(ROWS), keys([("THB09", "sex=male"), *reversed(ROWS)])  # other categories, order
    assert len(set(first.tolist())) == len(ROWS)  # the same code or text alone does not make a key
    assert other[1:].tolist() == list(reversed(first.tolist()))


def test_the_rows_checks_across_rows_compare_are_the_totals_and_the_parts_by_sex_and_age() -> None:
    values = pd.DataFrame(
        {"disaggregation": ["total", "sex=female", "age_group=0-17", "article=1", "form_of_exploitation=x"]}
    )
    assert breakdowns.compared_rows(values).tolist() == [True, True, True, False, False]
