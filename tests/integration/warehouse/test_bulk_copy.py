"""bulk_copy: COPY text built column by column must load exactly the values given."""

from __future__ import annotations

import queue
import random

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pytest
from programme_monitoring.warehouse import bulk_copy
from programme_monitoring.warehouse.bulk_copy import (
    NULL,
    copy_frame,
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


def test_a_frame_copied_as_csv_comes_back_exactly_slice_by_slice(warehouse_url, monkeypatch) -> None:
    """copy_frame: NULL and the empty string stay apart, CSV's quotes, commas and line breaks
    and COPY's own markers are data, a categorical (missing as NULL) and constants load as given."""
    monkeypatch.setattr(bulk_copy, "COPY_SLICE_ROWS", 3)  # 40 rows in 14 slices
    csv_tricky = [*TRICKY, 'say "hi"', "a,b", "\\.", "\r\nline", '"', "  "]
    texts = [csv_tricky[i % len(csv_tricky)] for i in range(40)]
    frame = pd.DataFrame(
        {
            "n": np.arange(40, dtype=np.int64),
            "text": pd.Series(texts, dtype=object),
            "maybe": pd.Series([None if i % 3 == 0 else t for i, t in enumerate(texts)], dtype=object),
            "breakdown": pd.Categorical(
                [None if i % 5 == 0 else t + str(i % 7) for i, t in enumerate(texts)]
            ),
            "count": pd.array([None if i % 4 == 0 else i * 10**15 for i in range(40)], dtype="Int64"),
            "flag": [i % 2 == 0 for i in range(40)],
        }
    )
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            "create temp table loaded (n int, text text, maybe text, breakdown text, count bigint, "
            "flag boolean, report text, file text)"
        )
        copy_frame(conn, "loaded", frame, {"report": 'r,"1"\n', "file": ""})
        rows = conn.execute("select * from loaded order by n").fetchall()
    assert rows == [
        (i, t, m, None if pd.isna(b) else b, None if pd.isna(c) else int(c), f, 'r,"1"\n', "")
        for i, (t, m, b, c, f) in enumerate(
            zip(texts, frame.maybe, frame.breakdown, frame["count"], frame.flag, strict=True)
        )
    ]
    assert rows[0][2] is None and rows[0][3] is None and rows[1][1] == ""  # NULL, not ""; "" not NULL


def test_pyarrow_text_held_in_pieces_is_copied_exactly(warehouse_url, monkeypatch) -> None:
    """A CSV report's comments are pyarrow strings, one piece per chunk read: slices that span
    two pieces, and a missing value, load as given."""
    monkeypatch.setattr(bulk_copy, "COPY_SLICE_ROWS", 3)
    texts = [*TRICKY, None, *TRICKY]
    pieces = [
        pd.Series(pd.array(pa.array(texts[at : at + 4], pa.string()), dtype="str")) for at in range(0, 21, 4)
    ]
    frame = pd.DataFrame(
        {"n": np.arange(len(texts), dtype=np.int64), "text": pd.concat(pieces, ignore_index=True)}
    )
    assert frame.text.array._pa_array.num_chunks == 6
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("create temp table loaded (n int, text text)")
        copy_frame(conn, "loaded", frame)
        assert [t for _n, t in conn.execute("select * from loaded order by n")] == texts


def test_a_copy_holds_at_most_its_queued_buffers_not_yet_sent(warehouse_url) -> None:
    """psycopg's writer queues up to 1,024 buffers (128 MB, each keeping its whole slice alive);
    ours holds QUEUED_BUFFERS: the guard fails if psycopg keeps its queue under another name."""
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("create temp table loaded (a text)")
        with copy_into(conn, "loaded", ["a"]) as copy:
            queues = [v for v in vars(copy.writer).values() if isinstance(v, queue.Queue)]
            assert [q.maxsize for q in queues] == [bulk_copy.QUEUED_BUFFERS]
            for _ in range(bulk_copy.QUEUED_BUFFERS * 3):
                copy.write(memoryview(b"x\n" * 1000))
        assert conn.execute("select count(*) from loaded").fetchone() == (bulk_copy.QUEUED_BUFFERS * 3000,)


def test_many_distinct_texts_are_rendered_as_one_by_one() -> None:
    texts = [f"event=EVT-{n:06d}" for n in range(5000)] + ["Ёлка «№ 5»", ""]
    assert rendered(texts).tolist() == [escape(t) for t in texts] + [NULL]
