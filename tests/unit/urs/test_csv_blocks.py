"""urs.csv_blocks: blocks end at record ends, the fast parser takes clean blocks, both agree."""

from __future__ import annotations

import io

import pytest
from programme_monitoring.urs import csv_blocks

HEADER = ["a", "b", "c"]
TEXT = b'1,x,"two\nlines"\n2,y,z\n3,"q,uoted",w\n4,v,u\n'


def test_a_record_end_is_a_line_break_outside_quotes():
    assert csv_blocks.record_end(b"1,2,3\n4,5", force=False) == 6
    assert csv_blocks.record_end(b'1,2,"3\n4', force=False) == 0  # the only break is inside quotes
    assert csv_blocks.record_end(b'1,2,3\n4,"5\n6', force=False) == 6
    assert csv_blocks.record_end(b'1,2,3\n4,"5\n6', force=True) == 11  # a stray quote: any break
    assert csv_blocks.record_end(b"no break", force=False) == 0


@pytest.mark.parametrize("size", [5, 16, 1 << 20])
def test_blocks_hold_whole_records_and_the_whole_file(size):
    blocks = list(csv_blocks.blocks(io.BytesIO(TEXT), 2, size))
    assert b"".join(block for _, block in blocks) == TEXT
    assert all(block.endswith(b"\n") and block.count(b'"') % 2 == 0 for _, block in blocks)
    first_lines = [line for line, _ in blocks]
    assert first_lines[0] == 2 and first_lines == sorted(first_lines)
    starts = {2: b"1", 4: b"2", 5: b"3", 6: b"4"}  # line -> the record starting there
    assert all(block.startswith(starts[line]) for line, block in blocks)


def test_the_last_record_gets_a_line_break():
    assert list(csv_blocks.blocks(io.BytesIO(b"1,2,3\n4,5,6"), 2, 1 << 20)) == [
        (2, b"1,2,3\n"),
        (3, b"4,5,6\n"),
    ]


def test_a_block_stops_growing_at_four_times_its_size():
    """A stray quote would make every later line break look quoted: past 4 x size, any break ends a block."""
    data = b'"' + b"1,2,3\n" * 100
    blocks = list(csv_blocks.blocks(io.BytesIO(data), 2, 6))
    assert b"".join(block for _, block in blocks) == data
    assert len(blocks) > 10 and max(len(block) for _, block in blocks) <= 4 * 6 + 6


def test_every_line_has_width():
    assert csv_blocks.every_line_has_width(b"1,2,3\n4,5,6\n", 3)
    assert not csv_blocks.every_line_has_width(b"1,2\n4,5,6,7\n", 3)  # right total, wrong lines
    assert not csv_blocks.every_line_has_width(b"1,2,3\n\n", 3)  # a blank line
    assert csv_blocks.every_line_has_width(b"1\n2\n", 1)


def test_the_fast_parser_only_takes_clean_blocks_and_both_parse_alike():
    clean = b"1,x,p\n2,y,q\n1,z,p\n"
    fast = csv_blocks.parse_fast(clean, 2, HEADER, ["c", "a"], {"c"})
    exact = csv_blocks.parse_exact(clean, 2, HEADER, ["c", "a"])
    assert fast is not None and fast.lines.tolist() == exact.lines.tolist() == [2, 3, 4]
    assert {n: list(fast.columns[n]) for n in "ca"} == {n: list(exact.columns[n]) for n in "ca"}
    assert {n: list(exact.columns[n]) for n in "ca"} == {"c": ["p", "q", "p"], "a": ["1", "2", "1"]}
    assert csv_blocks.parse_fast(TEXT, 2, HEADER, ["a"], ()) is None  # quotes
    assert csv_blocks.parse_fast(b"1,2,3\n\n", 2, HEADER, ["a"], ()) is None  # a blank line
    assert csv_blocks.parse_block(TEXT, 2, HEADER, ["c"], ()).columns["c"].tolist() == [
        "two\nlines",
        "z",
        "w",
        "u",
    ]


def test_the_exact_parser_names_the_line_of_each_problem():
    block = b"1,2,3\n\n4,5\n6,7,8,9\n1,\xff,3\n" + b"x" * 140_000 + b",2,3\n"  # a field over csv's limit
    parsed = csv_blocks.parse_exact(block, 10, HEADER, ["a"])
    assert parsed.lines.tolist() == [10]
    assert parsed.problems[:3] == [
        (12, "2 fields, the header has 3", "число полей (2) не совпадает с числом столбцов заголовка (3)"),
        (13, "4 fields, the header has 3", "число полей (4) не совпадает с числом столбцов заголовка (3)"),
        (14, "not UTF-8 text", "текст не в кодировке UTF-8"),
    ]
    line, en, ru = parsed.problems[3]
    assert line == 15 and en.startswith("not readable as CSV (") and ru.startswith("не читается как CSV (")
    assert en.removeprefix("not readable as CSV") == ru.removeprefix("не читается как CSV")  # csv's words


def test_the_header_spans_the_lines_of_a_quoted_name():
    f = io.BytesIO(b'\xef\xbb\xbfa,"b\nb",c\n1,2,3\n')
    assert csv_blocks.read_header(f) == (["a", "b\nb", "c"], 2)
    assert f.read() == b"1,2,3\n"
    assert csv_blocks.read_header(io.BytesIO(b"")) == ([], 0)
