"""The scalar parsers every reader applies: counts, codes, dates, disaggregations, statuses."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from programme_monitoring.report_format import values
from programme_monitoring.report_format.records import Refusal
from programme_monitoring.report_format.values import (
    canonical_disaggregations,
    parse_code,
    parse_count,
    parse_date,
    parse_disaggregation,
    parse_status,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1 234", 1234), ("1,234", 1234), ("1\u00a0234", 1234), ("1\u202f234", 1234), (" 12 345 678 ", 12345678),
     (1234.0, 1234), ("-5", -5), ("0", 0), (7, 7)],
)  # fmt: skip
def test_whole_numbers_with_thousands_separators(raw: object, expected: int) -> None:
    assert parse_count(raw) == expected


@pytest.mark.parametrize(
    "raw", [None, "", "  ", "not reported", "  Не   представлено ", "Н/Д", "NOT REPORTED"]
)
def test_empty_and_not_reported_are_none_never_zero(raw: object) -> None:
    assert parse_count(raw) is None


@pytest.mark.parametrize("raw", ["abc", "1.5", 1.5, "1,5", "1,23", "12 34", "1 234,567", True, "5 штук"])
def test_values_that_are_not_whole_numbers_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_count(raw)


def test_a_formula_typed_as_text_is_refused_not_evaluated() -> None:
    with pytest.raises(ValueError, match="formulas written as text are not evaluated"):
        parse_count("=1+2")


@pytest.mark.parametrize("raw", [1, 1.1, dt.date(2001, 1, 1), dt.datetime(2001, 1, 1), True])
def test_a_code_stored_as_a_number_or_date_is_refused(raw: object) -> None:
    with pytest.raises(ValueError, match="format the column as Text"):
        parse_code(raw)


def test_a_code_is_kept_as_written_without_surrounding_spaces() -> None:
    assert parse_code(" 01.1.10 ") == "01.1.10"
    assert parse_code(None) == ""


@pytest.mark.parametrize(
    "raw", ["2015-02-14", "14.02.2015", dt.date(2015, 2, 14), dt.datetime(2015, 2, 14, 9, 30)]
)
def test_dates_as_iso_text_russian_text_or_date_cells(raw: object) -> None:
    assert parse_date(raw) == dt.date(2015, 2, 14)


@pytest.mark.parametrize("raw", ["31.02.2015", "14/02/2015", "2015-2", 42000])
def test_other_dates_are_refused(raw: object) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, "total"), ("", "total"), ("TOTAL", "total"), (" Всего ", "total"), ("итого", "total"),
     (" Sex = female ", "sex=female"), ("Age Group=18+", "age_group=18+"), ("route=a=b", "route=a=b")],
)  # fmt: skip
def test_disaggregation_is_total_or_dimension_equals_value(raw: object, expected: str) -> None:
    assert parse_disaggregation(raw) == expected


# Values a large annex may hold, one per row: plain, odd spacing, other kinds, refusals.
TRICKY_BREAKDOWNS = [
    "event=EVT-2016-0000001",
    "event=Семинар «Граница» № 3",
    "route=a=b",
    "event= X",
    "event=X ",
    "event=X\u00a0",
    "Event=X",
    "event =X",
    "event=",
    "event",
    "sex=female",
    "sex=FEMALE",
    "operation=prv-2014-01",
    "citizenship=kz",
    "agency=МВД",
    "route=" + "x" * 300,
    "event=a\tb",
    "event=a\u202eb",
    "total",
    "",
    "unknown=x",
]


@pytest.mark.parametrize(
    "texts", [TRICKY_BREAKDOWNS, [t for t in TRICKY_BREAKDOWNS if t.startswith("event=")]]
)
def test_breakdowns_decided_together_are_decided_as_one_by_one(texts: list[str]) -> None:
    """The bulk path (a large annex's distinct breakdowns) gives exactly what the one-by-one
    parser gives, and leaves to it whatever it does not take (None), refusals included."""
    together = canonical_disaggregations(texts)
    for text, decided in zip(texts, together, strict=True):
        try:
            alone = parse_disaggregation(text)
        except Refusal:
            alone = None
        assert decided is None or decided == alone, text
    assert canonical_disaggregations(["event=A-1", "route=Минск — Москва"]) == [
        "event=A-1",
        "route=Минск — Москва",
    ]
    assert canonical_disaggregations(["event=A-1", "sex=female"]) == ["event=A-1", None]


@pytest.mark.parametrize("raw", ["female", "=female", "sex=", " = "])
def test_disaggregation_without_dimension_or_value_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="dimension=value"):
        parse_disaggregation(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Выполнено", "implemented"), (" не  выполнено ", "not_implemented"), ("ПЕРЕНЕСЕНО", "postponed"),
     ("in progress", "in_progress"), ("выполнено / implemented", "implemented"),
     ("not_implemented", "not_implemented")],
)  # fmt: skip
def test_status_in_russian_english_or_both(raw: str, expected: str) -> None:
    assert parse_status(raw) == expected


def test_unknown_status_is_refused_listing_the_allowed_ones() -> None:
    with pytest.raises(
        ValueError, match="'done' is not a measure status: write one of выполнено / implemented"
    ):
        parse_status("done")


def test_ascii_breakdowns_counted_at_once_are_decided_as_the_pattern_decides_them() -> None:
    """The counting path of canonical_disaggregations (ASCII text) accepts a list exactly when
    every value is "<free dimension>=<member>", the member not empty nor spaced at either end."""
    free = ["event", "route"]
    pieces = ["event=", "route=", "sex=", "event", "=", " ", "a", "b-1", "x y", "==", ""]
    rng = random.Random(7)
    for _ in range(3000):
        texts = [
            "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 4))
        ]
        expected = all(
            d in free and sep and m and m == m.strip() for d, sep, m in (t.partition("=") for t in texts)
        )
        assert values._canonical_ascii(texts, free) == expected, texts
    assert canonical_disaggregations([f"event=EVT-{n}" for n in range(1000)]) == [
        f"event=EVT-{n}" for n in range(1000)
    ]


def test_an_empty_member_does_not_borrow_the_next_breakdown() -> None:
    """ "route=" followed by "=Ж" once read as one canonical value across the separator."""
    assert canonical_disaggregations(["route=", "=Ж"]) == [None, None]
    assert canonical_disaggregations(["route=", "=x"]) == [None, None]
