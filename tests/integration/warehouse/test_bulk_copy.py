"""bulk_copy: COPY text built column by column must load exactly the values given."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import psycopg
import pytest
from programme_monitoring.warehouse.bulk_copy import (
    NULL,
    RenderedColumn,
    copy_into,
    copy_text,
    escape,
    rendered,
)

TRICKY = [
    "plain",
    "",
    "tab\there",
    "new\nline",
    "cr\rhere",
    "back\\slash",
    "\\N",
    "Ёлка «№ 5»",
    "=1+2",
    " x ",
]


def test_rows_come_back_from_postgresql_exactly(warehouse_url: str) -> None:
    n = len(TRICKY)
    frame = pd.DataFrame(
        {
            "text": TRICKY,
            "maybe": [None if i % 3 == 0 else t for i, t in enumerate(TRICKY)],
            "whole": np.arange(-5, n - 5, dtype=np.int64),
            "count": pd.array([None if i % 4 == 0 else i * 1000 for i in range(n)], dtype="Int64"),
            "flag": [i % 2 == 0 for i in range(n)],
        }
    )
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            "create temp table loaded (constant text, text text, maybe text, whole bigint, count bigint, "
            "flag boolean)"
        )
        with copy_into(conn, "loaded", ["constant", "text", "maybe", "whole", "count", "flag"]) as copy:
            for start in (0, 4):  # two chunks
                part = frame.iloc[start : start + 4] if start == 0 else frame.iloc[4:]
                copy.write(copy_text(["same\tfor all", *(part[c] for c in frame.columns)], len(part)))
        rows = conn.execute("select * from loaded").fetchall()
    expected = [
        ("same\tfor all", t, None if pd.isna(m) else m, w, None if pd.isna(c) else int(c), f)
        for t, m, w, c, f in zip(
            frame.text, frame.maybe, frame.whole, frame["count"], frame.flag, strict=True
        )
    ]
    assert rows == expected


def test_text_needing_no_escape_is_rendered_as_the_escaping_path_renders_it() -> None:
    rng = random.Random(5)
    alphabet = "abcЖё 1=\\\t\n\r«»"
    for _ in range(300):
        values = list({"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(20)})
        expected = np.array([escape(v) for v in values] + [NULL], dtype=np.bytes_)
        assert rendered(values).tolist() == expected.tolist()


def test_integers_are_rendered_by_numpy_as_python_would() -> None:
    values = np.array([0, -1, 7, 2**62, -(2**63)], dtype=np.int64)
    assert copy_text([values]) == b"".join(str(v).encode() + b"\n" for v in values.tolist())


def test_a_nul_character_is_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        copy_text([pd.Series(["fine", "not\x00fine"])])


def test_a_categorical_rendered_once_loads_chunk_by_chunk_exactly(warehouse_url: str) -> None:
    """RenderedColumn: the categories rendered once for all rows, sliced per chunk (missing as NULL)."""
    values = [None if i % 5 == 0 else TRICKY[i % len(TRICKY)] + str(i % 7) for i in range(40)]
    column = pd.Series(pd.Categorical(values))
    once = RenderedColumn(column)
    assert len(once) == 40
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("create temp table breakdowns (n int, text text)")
        with copy_into(conn, "breakdowns", ["n", "text"]) as copy:
            for start in range(0, 40, 16):  # chunks of 16, 16 and 8 rows
                rows = slice(start, start + 16)
                copy.write(copy_text([np.arange(40)[rows], once[rows]], len(range(40)[rows])))
        loaded = conn.execute("select text from breakdowns order by n").fetchall()
    assert [text for (text,) in loaded] == values


def test_many_distinct_texts_are_rendered_as_one_by_one() -> None:
    texts = [f"event=EVT-{n:06d}" for n in range(5000)] + ["Ёлка «№ 5»", ""]
    assert rendered(texts).tolist() == [escape(t) for t in texts] + [NULL]
