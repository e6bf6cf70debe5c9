"""Reading a URS extract: its columns, the rule each value must meet, and blocks of checked rows.

An extract is a CSV file, one row per event (entry, exit, work permit, offence) with the
person's identifiers beside the statistical attributes (docs/urs_extract_format.md). It is
read in blocks of whole records (``urs.csv_blocks``: pandas' C reader where a
block allows, the csv module elsewhere); ``full_name`` and ``date_of_birth`` are never
kept. Each column of a block is normalised and checked once per distinct value, the result
spread to the rows by their codes. A problem names its line and its columns, never a value;
every reason is one string in English and Russian, "line 5: invalid event_date / строка 5:
недопустимое значение в столбце event_date" (:func:`line_reason`).

Imports ``reference``, ``report_format`` and ``urs.pseudonym``; no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

import numpy as np
import pandas as pd

from programme_monitoring.reference import load_reference, urs_crossing_points
from programme_monitoring.urs import csv_blocks
from programme_monitoring.urs.pseudonym import normalise_identifier, normalise_passport

EVENT_TYPES = frozenset({"entry", "exit", "work_permit", "offence"})
PURPOSES = frozenset({"tourism", "business", "work", "study", "private", "transit", "official", "other"})
REQUIRED_COLUMNS = (
    "event_type",
    "passport_number",
    "full_name",
    "date_of_birth",
    "citizenship",
    "purpose_of_visit",
    "host_state",
    "border_crossing_point",
    "event_date",
)
MAX_REASONS = 20
BLOCK_BYTES = 8 << 20
# The columns kept (the identifiers full_name and date_of_birth are not), in the order of reasons.
_USED = (
    "event_type",
    "passport_number",
    "citizenship",
    "purpose_of_visit",
    "host_state",
    "border_crossing_point",
    "event_date",
)
_CATEGORICAL = frozenset(_USED) - {"passport_number"}  # few distinct values: parsed as categories


class ExtractRefused(Exception):
    """The extract cannot be loaded; ``reasons`` name lines and columns, never values, each
    one string "English / русский"."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def host_states() -> frozenset[str]:
    """ISO2 codes a URS event may name as host state: the reporting states of the reference seed."""
    return frozenset(load_reference().state_codes)


def line_reason(line: int, en: str, ru: str) -> str:
    """The reason of one line, in English and Russian: "line 5: ... / строка 5: ..."."""
    return f"line {line}: {en} / строка {line}: {ru}"


def read_header(f: BinaryIO) -> tuple[list[str], int]:
    """The header's column names (lower case) and the lines it spans; ExtractRefused if unusable."""
    try:
        header, lines = csv_blocks.read_header(f)
    except UnicodeDecodeError:
        raise ExtractRefused([line_reason(1, *csv_blocks.NOT_UTF8)]) from None
    header = [h.strip().lower() for h in header]
    if not header:
        raise ExtractRefused(["the file is empty: no header row / файл пуст: нет строки заголовка"])
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        names = ", ".join(missing)
        ru = "в заголовке нет столбца" if len(missing) == 1 else "в заголовке нет столбцов"
        raise ExtractRefused([f"missing column(s): {names} / {ru}: {names}"])
    return header, lines


@dataclass
class CheckedBlock:
    rows: int  # well-formed records
    # (line, what is wrong in English, in Russian); at most MAX_REASONS invalid rows
    problems: list[tuple[int, str, str]]
    columns: dict[str, tuple[np.ndarray, list]]  # kept column -> (row codes, distinct normalised values)


def checked_blocks(
    f: BinaryIO, header: list[str], header_lines: int, block_bytes: int = BLOCK_BYTES
) -> Iterator[CheckedBlock]:
    """The records after the header, block by block, normalised and checked."""
    rules = _rules(host_states(), frozenset(urs_crossing_points()))
    for first_line, block in csv_blocks.blocks(f, header_lines + 1, block_bytes):
        parsed = csv_blocks.parse_block(block, first_line, header, _USED, _CATEGORICAL)
        del block
        yield _checked(parsed, rules)


def refusal(problems: list[tuple[int, str, str]]) -> ExtractRefused:
    """The refusal of an extract with these problems (line, English, Russian): the first
    MAX_REASONS in line order."""
    reasons = [line_reason(line, en, ru) for line, en, ru in sorted(problems)[:MAX_REASONS]]
    if len(problems) >= MAX_REASONS:
        reasons.append(
            "... (stopped after the first errors) / ... (проверка остановлена после первых ошибок)"
        )
    return ExtractRefused(reasons)


# -- the checks: each written once, applied to each distinct value of a block -------------


def _strip_lower(value: str) -> str:
    return value.strip().lower()


def _strip_upper(value: str) -> str:
    return value.strip().upper()


def _is_alpha3(value: str) -> bool:
    return len(value) == 3 and value.isascii() and value.isalpha()


def _is_date(value: str) -> bool:
    if len(value) != 10 or not value.isascii() or value[4] != "-" or value[7] != "-":
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


# A normalised passport number: 2 to 20 letters and digits, at least one digit (a name or a
# word is refused, so an identifier written in the wrong column shows up as a bad line).
_PASSPORT = re.compile(r"(?=[^\W_]{2,20}\Z)[^\W_]*\d[^\W_]*\Z")


def _is_passport(value: str) -> bool:
    return _PASSPORT.match(value) is not None


_ASCII_ALNUM = np.zeros(256, dtype=bool)
_ASCII_ALNUM[list(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")] = True
_ASCII_DIGIT = np.zeros(256, dtype=bool)
_ASCII_DIGIT[list(b"0123456789")] = True


def _are_passports(values: list[str]) -> np.ndarray:
    """``_is_passport`` of each value, vectorised over the bytes of them all when they are
    ASCII (a block's hundreds of thousands of distinct passport numbers: one regex call each
    cost more than the rest of their checks)."""
    joined = "\x00".join(values)
    if len(values) < 1000 or not joined.isascii() or joined.count("\x00") != len(values) - 1:
        return np.fromiter(map(_is_passport, values), dtype=bool, count=len(values))
    octets = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    ends = np.flatnonzero(octets == 0)
    starts = np.concatenate(([0], ends + 1))
    lengths = np.concatenate((ends, [len(octets)])) - starts
    ok = (lengths >= 2) & (lengths <= 20)
    bad_octet = ~_ASCII_ALNUM[octets] & (octets != 0)
    digits = _ASCII_DIGIT[octets]
    nonempty = lengths > 0  # reduceat needs a start inside each value; empty ones are already bad
    at = starts[nonempty]
    ok[nonempty] &= np.add.reduceat(digits, at) > 0
    ok[nonempty] &= np.add.reduceat(bad_octet, at) == 0
    return ok


def _rules(states: frozenset[str], crossing_points: frozenset[str]) -> dict[str, tuple]:
    """Column -> (normalise, is valid) for every column kept; the order is the order of reasons.

    Every kept column has a closed pattern or a code list, so no free text (a name, a
    passport number written in the wrong column) can pass into the database.
    """
    return {
        "event_type": (_strip_lower, EVENT_TYPES.__contains__),
        "passport_number": (normalise_passport, _is_passport),
        "citizenship": (normalise_identifier, _is_alpha3),
        "purpose_of_visit": (_strip_lower, lambda v: not v or v in PURPOSES),
        "host_state": (_strip_upper, states.__contains__),
        "border_crossing_point": (_strip_upper, lambda v: not v or v in crossing_points),
        "event_date": (str.strip, _is_date),
    }


def _normalised(values, normalise) -> tuple[np.ndarray, list[str]]:
    """Row codes into the distinct normalised values (each distinct raw value normalised once)."""
    if isinstance(values, pd.Categorical):
        codes, raw = values.codes, list(values.categories)
    else:
        codes, raw = pd.factorize(values)
        raw = list(raw)
    if normalise is normalise_passport and len(raw) > 1000:
        # Per-character rules: one call on all distinct values at once, NUL-separated. The csv
        # module passes a NUL through, so a value may hold one: then the join would shift
        # every later value, and each value is normalised on its own (the rule refuses it).
        joined = "\x00".join(raw)
        if joined.count("\x00") != len(raw) - 1:
            normalised = np.array([normalise(v) for v in raw], dtype=object)
        else:
            normalised_joined = normalise(joined)
            if normalised_joined == joined:  # already normalised: the distinct values stay distinct
                return codes, raw
            normalised = np.array(normalised_joined.split("\x00"), dtype=object)
    else:
        normalised = np.array([normalise(v) for v in raw], dtype=object)
    to_unique, uniques = pd.factorize(normalised)
    return to_unique[codes], list(uniques)


def _invalid(columns: list[str]) -> tuple[str, str]:
    """What is wrong with a line whose values in these columns break their rule (English, Russian)."""
    names = ", ".join(columns)
    ru = "недопустимое значение в столбце" if len(columns) == 1 else "недопустимые значения в столбцах"
    return f"invalid {names}", f"{ru} {names}"


def _checked(parsed: csv_blocks.ParsedBlock, rules: dict) -> CheckedBlock:
    """Normalise and check every kept column of a parsed block; the invalid rows become problems."""
    problems = list(parsed.problems)
    n = len(parsed.lines)
    if not n:
        return CheckedBlock(0, problems, {})
    coded, bad = {}, {}
    for name, (normalise, valid) in rules.items():
        codes, uniques = _normalised(parsed.columns[name], normalise)
        if valid is _is_passport:
            ok = _are_passports(uniques)
        else:
            ok = np.fromiter(map(valid, uniques), dtype=bool, count=len(uniques))  # C speed for builtins
        coded[name] = codes, uniques
        if not ok.all():
            bad[name] = ~ok[codes]
    if bad:
        rows = np.flatnonzero(np.logical_or.reduce(list(bad.values())))
        for row in rows[:MAX_REASONS].tolist():
            names = [name for name in rules if name in bad and bad[name][row]]
            problems.append((int(parsed.lines[row]), *_invalid(names)))
    return CheckedBlock(n, problems, coded)
