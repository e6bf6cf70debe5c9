"""breakdowns: what the review frames and the suites' dimension read from many breakdowns at once."""

from __future__ import annotations

import pandas as pd
from programme_monitoring.quality import breakdowns

BREAKDOWNS = ["total", "sex=female", "event=a=b", None, "age_group=0-17", "=x", "sex", "sex=", "Ёж=1"]


def test_each_breakdowns_prefix_is_what_a_split_at_its_first_equals_sign_gives() -> None:
    column = pd.Series(pd.Categorical(BREAKDOWNS))
    prefixes = breakdowns.row_prefixes(column)
    for breakdown, prefix in zip(BREAKDOWNS, prefixes, strict=True):
        if breakdown is None:
            assert pd.isna(prefix)
        else:
            assert prefix == (breakdown.split("=", 1)[0] + "=" if "=" in breakdown else breakdown)
    # the review frames' "parts by sex" and "parts by age" are the breakdowns starting so
    assert list(prefixes == "sex=") == [b is not None and b.startswith("sex=") for b in BREAKDOWNS]
    assert list(prefixes == "age_group=") == [
        b is not None and b.startswith("age_group=") for b in BREAKDOWNS
    ]


def test_a_text_column_too_gives_the_prefixes() -> None:
    column = pd.Series([b or "" for b in BREAKDOWNS], dtype="str")
    assert list(breakdowns.row_prefixes(column) == "sex=") == [b.startswith("sex=") for b in column]


def test_breakdowns_split_a_slice_at_a_time_give_the_prefixes_of_the_whole(monkeypatch) -> None:
    # A prefix first seen in a later slice, and one seen again there, get one code each.
    column = pd.Series(pd.Categorical([f"event=E{i}" for i in range(5)] + BREAKDOWNS * 3))
    whole = breakdowns.row_prefixes(column)
    monkeypatch.setattr(breakdowns, "PREFIX_SLICE", 2)
    sliced = breakdowns.row_prefixes(pd.Series(pd.Categorical(column)))  # new categories: not cached
    assert list(sliced.astype(object)) == list(whole.astype(object))
    assert len(sliced.categories) == len(set(whole.dropna())) == len(whole.categories)
