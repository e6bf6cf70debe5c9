"""Reading URS extracts from files, no database: the header, the two parsers agree, the rules, the reasons."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from programme_monitoring.dev.urs_extracts import write_synthetic_extract
from programme_monitoring.urs.reader import (
    BLOCK_BYTES,
    MAX_REASONS,
    ExtractRefused,
    checked_blocks,
    read_header,
    refusal,
)
from urs_samples import BAD_EXTRACT, BAD_EXTRACT_REASONS, CSV_HEADER, EXTRACTS, GOOD, NAME, PASSPORT

# The columns the intake keeps, in this order (full_name and date_of_birth are never kept):
# written here, not imported, so the test checks the reader.
KEPT = (
    "event_type",
    "passport_number",
    "citizenship",
    "purpose_of_visit",
    "host_state",
    "border_crossing_point",
    "event_date",
)


def read(data: bytes, block_bytes: int = BLOCK_BYTES) -> tuple[list[tuple], list[tuple[int, str, str]]]:
    """(normalised rows, problems) of an extract, read as the intake reads it."""
    f = io.BytesIO(data)
    header, header_lines = read_header(f)
    rows, problems = [], []
    for block in checked_blocks(f, header, header_lines, block_bytes):
        problems += block.problems
        if block.rows:
            columns = [np.array(block.columns[n][1], dtype=object)[block.columns[n][0]] for n in KEPT]
            rows += zip(*columns, strict=True)
    return rows, problems


@pytest.mark.parametrize("name", list(EXTRACTS))
def test_both_parsers_read_the_same_rows_at_any_block_size(name):
    """Default blocks (pandas' C reader where a block allows) vs 64-byte blocks (mostly the csv module)."""
    text, count = EXTRACTS[name]
    fast, problems = read(text.encode())
    exact, exact_problems = read(text.encode(), block_bytes=64)
    assert problems == exact_problems == []
    assert len(fast) == count
    assert fast == exact


def test_values_are_normalised_and_kept_as_written():
    rows, _ = read(EXTRACTS["plain"][0].encode())
    assert rows == [
        ("entry", "AB1234567", "CHN", "work", "KZ", "KZ-ALMATY-AIR", "2017-03-14"),
        ("work_permit", "AB1234567", "CHN", "", "KZ", "", "2017-03-20"),
    ]
    rows, _ = read(EXTRACTS["tab_and_backslash"][0].encode())
    assert rows[0][5] == "KZ-ASTANA-AIR"
    rows, _ = read(EXTRACTS["header_order_bom_extra_column"][0].encode())
    assert rows == [("entry", "AB1234", "CHN", "work", "KZ", "KZ-DOSTYK-RAIL", "2017-01-01")]


def test_a_synthetic_extract_reads_the_same_through_both_parsers(tmp_path):
    extract = write_synthetic_extract(tmp_path / "synthetic.csv", 5_000, seed=3)
    data = extract.read_bytes()
    quoted = data.replace(b"Synthetic Person", b'"Synthetic, Person"')  # every block to the csv module
    fast, slow, exact = read(data), read(data, block_bytes=20_000), read(quoted)
    assert fast == slow == exact
    assert len(fast[0]) == 5_000 and fast[1] == []
    with open(extract, newline="") as f:
        assert {r[1] for r in fast[0]} == {r["passport_number"] for r in csv.DictReader(f)}


@pytest.mark.parametrize("block_bytes", [BLOCK_BYTES, 64])
def test_bad_lines_are_named_by_line_and_column_never_by_value(block_bytes):
    rows, problems = read(BAD_EXTRACT, block_bytes)
    assert refusal(problems).reasons == BAD_EXTRACT_REASONS
    assert PASSPORT not in str(problems)


INVALID_EVENT_TYPE = ("invalid event_type", "недопустимое значение в столбце event_type")


def test_refusal_stops_after_the_first_reasons():
    problems = [(line, *INVALID_EVENT_TYPE) for line in range(100, 2, -1)]
    reasons = refusal(problems).reasons
    assert len(reasons) == MAX_REASONS + 1
    assert reasons[0] == "line 3: invalid event_type / строка 3: недопустимое значение в столбце event_type"
    assert (
        reasons[-1] == "... (stopped after the first errors) / ... (проверка остановлена после первых ошибок)"
    )
    assert refusal([(2, "x", "икс")]).reasons == ["line 2: x / строка 2: икс"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "the file is empty: no header row / файл пуст: нет строки заголовка"),
        (
            b"event_type,passport_number\nentry,X\n",
            "missing column(s): full_name, date_of_birth, citizenship, purpose_of_visit, host_state, "
            "border_crossing_point, event_date / в заголовке нет столбцов: full_name, date_of_birth, "
            "citizenship, purpose_of_visit, host_state, border_crossing_point, event_date",
        ),
        (
            CSV_HEADER.replace("event_date", "date").encode(),
            "missing column(s): event_date / в заголовке нет столбца: event_date",
        ),
        (
            CSV_HEADER.replace("event_type", "\xefvent_type").encode("latin-1") + GOOD.encode(),
            "line 1: not UTF-8 text / строка 1: текст не в кодировке UTF-8",
        ),
    ],
)
def test_an_unusable_header_refuses_the_extract_in_english_and_russian(data, reason):
    with pytest.raises(ExtractRefused) as refused:
        read_header(io.BytesIO(data))
    assert refused.value.reasons == [reason]


def test_the_header_is_read_case_insensitively_across_lines():
    data = b'\xef\xbb\xbf"EVENT_TYPE\n", ' + CSV_HEADER.removeprefix("event_type,").encode() + GOOD.encode()
    header, lines = read_header(io.BytesIO(data))
    assert header[0] == "event_type" and len(header) == 9 and lines == 2


INVALID_PASSPORT = ("invalid passport_number", "недопустимое значение в столбце passport_number")


def test_a_nul_in_a_passport_number_refuses_its_line_and_shifts_no_other_value():
    """The csv module passes a NUL through; the many-values path of the normaliser joins values
    on NUL, so a NUL inside one passport number once shifted every later person's number (and
    pseudonym) in the block. Now that line is refused and every other row reads as written."""
    persons = [f"ab-{i:06d}" for i in range(1_500)]  # over 1,000 distinct: the joined path
    lines = [f"entry,{p},Synthetic Person,1980-01-01,CHN,work,KZ,KZ-ALMATY-AIR,2017-01-01\n" for p in persons]
    lines[10] = lines[10].replace("ab-000010", 'ab-0\x0000010"x"')  # quoted: the csv module's path
    rows, problems = read((CSV_HEADER + "".join(lines)).encode())
    assert problems == [(12, *INVALID_PASSPORT)]
    expected = [p.replace("-", "").upper() for p in persons]
    read_back = [r[1] for r in rows]
    assert len(read_back) == len(expected)
    assert read_back[:10] + read_back[11:] == expected[:10] + expected[11:]


@pytest.mark.parametrize("block_bytes", [BLOCK_BYTES, 64])
def test_an_identifier_in_a_kept_column_refuses_its_line_and_is_not_echoed(block_bytes):
    """Every kept column has a pattern or a code list: a name or a passport number written in
    the crossing point, a name in the passport column or the citizenship, are refused."""
    lines = [
        f"entry,AB1234,N,D,CHN,work,KZ,{PASSPORT},2017-01-01\n",  # line 2: a passport as crossing point
        f'entry,AB1234,N,D,CHN,work,KZ,"{NAME}",2017-01-01\n',  # line 3: a name as crossing point
        f'entry,"{NAME}",N,D,CHN,work,KZ,KZ-ALMATY-AIR,2017-01-01\n',  # line 4: a name as passport
        f"entry,AB1234,N,D,{NAME[:3]}{PASSPORT},work,KZ,,2017-01-01\n",  # line 5
        "entry,AB1234,N,D,CHN,work,KZ,RU-SHEREMETYEVO-AIR,2017-01-01\n",  # a code of the list: fine
    ]
    _, problems = read((CSV_HEADER + "".join(lines)).encode(), block_bytes)
    crossing_point = (
        "invalid border_crossing_point",
        "недопустимое значение в столбце border_crossing_point",
    )
    assert problems == [
        (2, *crossing_point),
        (3, *crossing_point),
        (4, *INVALID_PASSPORT),
        (5, "invalid citizenship", "недопустимое значение в столбце citizenship"),
    ]
    reasons = " ".join(refusal(problems).reasons)
    assert PASSPORT not in reasons and "Sentinelova" not in reasons


def test_look_alike_spellings_of_one_passport_read_as_one_person():
    spellings = [
        ("AB1234567", "CHN"),
        ("АВ 1234567", "СНN"),
        ("ＡＢ１２３４５６７", "chn"),
        ("ab-123-4567", "Chn"),
    ]
    lines = [f"entry,{p},N,D,{c},work,KZ,,2017-01-0{i + 1}\n" for i, (p, c) in enumerate(spellings)]
    for block_bytes in (BLOCK_BYTES, 64):
        rows, problems = read((CSV_HEADER + "".join(lines)).encode(), block_bytes)
        assert problems == [] and len(rows) == 4
        assert {(r[1], r[2]) for r in rows} == {("AB1234567", "CHN")}


def test_passport_numbers_are_checked_alike_one_by_one_and_all_at_once():
    """Over 1,000 distinct passport numbers in a block are checked together on their bytes:
    the same verdicts as the pattern one value at a time (a handful of numbers: that path)."""
    bad = {5: "Sentinelova", 9: "1", 13: "A" * 20 + "1", 17: "ABCDEFGH", 21: "AB*12"}
    good = {6: "A" * 19 + "1", 10: "a1", 14: "12"}
    for count in (1_500, 30):
        persons = [f"P{i:07d}" for i in range(count)]
        for row_index, value in {**bad, **good}.items():
            persons[row_index] = value
        lines = [f"entry,{p},N,D,CHN,work,KZ,,2017-01-01\n" for p in persons]
        _, problems = read((CSV_HEADER + "".join(lines)).encode())
        assert problems == [(i + 2, *INVALID_PASSPORT) for i in sorted(bad)], count
