"""The nesting depth of a JSON document, measured a block at a time, is the document's own.

Brackets inside strings (escaped quotes and backslashes included) do not count, wherever the
blocks are cut: the reference is the regular expression the reader used before, which held
0.7 GB while it took the strings out of a 50 MB document.
"""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest
from programme_monitoring.report_format import json_reader

STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def reference(data: bytes) -> int:
    skeleton = np.frombuffer(STRINGS.sub(b'""', data), dtype=np.uint8)
    steps = np.zeros(len(skeleton), dtype=np.int32)
    steps[(skeleton == ord("[")) | (skeleton == ord("{"))] = 1
    steps[(skeleton == ord("]")) | (skeleton == ord("}"))] = -1
    return int(np.cumsum(steps).max(initial=0))


def nested(rng: random.Random, levels: int) -> object:
    """A document ``levels`` deep at most, its strings full of brackets, quotes and backslashes."""
    text = "".join(rng.choice('[]{}"\\\\ab, :') for _ in range(rng.randrange(0, 12)))
    if levels == 0 or rng.random() < 0.3:
        return rng.choice([text, rng.randrange(100), None])
    items = [nested(rng, levels - 1) for _ in range(rng.randrange(0, 4))]
    return items if rng.random() < 0.5 else {f"{text}{i}": item for i, item in enumerate(items)}


def true_depth(node: object) -> int:
    if isinstance(node, list):
        return 1 + max(map(true_depth, node), default=0)
    if isinstance(node, dict):
        return 1 + max(map(true_depth, node.values()), default=0)
    return 0


@pytest.mark.parametrize("block", [1, 2, 3, 7, 1 << 20])
def test_the_depth_is_the_documents_wherever_the_blocks_are_cut(block: int, monkeypatch) -> None:
    monkeypatch.setattr(json_reader, "_DEPTH_BLOCK", block)
    rng = random.Random(block)
    depths = set()
    for _ in range(300):
        document = nested(rng, rng.randrange(0, 7))
        data = json.dumps(document, ensure_ascii=rng.random() < 0.5).encode()
        depths.add(true_depth(document))
        assert json_reader._depth(data) == true_depth(document) == reference(data), data
    assert depths >= {0, 1, 2, 3, 4}


@pytest.mark.parametrize(
    "data, depth",
    [
        (b'{"a": "\\\\"}', 1),  # an escaped backslash before the closing quote
        (b'["\\"[[[", [1]]', 2),  # an escaped quote, brackets inside the string
        (b'[["\\\\\\"]]"]]', 2),  # three backslashes: the quote stays escaped
        (b"", 0),
    ],
)
def test_escapes_end_a_string_only_where_json_does(data: bytes, depth: int, monkeypatch) -> None:
    for block in (1, 2, 1 << 20):
        monkeypatch.setattr(json_reader, "_DEPTH_BLOCK", block)
        assert json_reader._depth(data) == depth == reference(data)
