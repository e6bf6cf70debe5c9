"""Numbers and dates as the publications write them, by Babel, in Russian and English."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from programme_monitoring.publishing import formatting


@pytest.mark.parametrize(
    ("value", "ru", "en"),
    [
        (2731, "2\u00a0731", "2,731"),
        (1234567, "1\u00a0234\u00a0567", "1,234,567"),
        (98, "98", "98"),
        (0, "0", "0"),
        (decimal.Decimal("1075"), "1\u00a0075", "1,075"),
        (decimal.Decimal("1234.5"), "1\u00a0234,5", "1,234.5"),
    ],
)
def test_counts_are_grouped_by_the_language(value, ru, en):
    assert formatting.count(value, "ru") == ru
    assert formatting.count(value, "en") == en


def test_a_figure_nobody_reported_is_a_dash_not_zero():
    for lang in ("ru", "en"):
        assert formatting.count(None, lang) == "—"
        assert formatting.rate(None, lang) == "—"
        assert formatting.date(None, lang) == "—"
        assert formatting.timestamp(None, lang) == "—"
        assert formatting.change(5, None, lang) == "—"


def test_rates_have_one_decimal_and_the_language_percent_sign():
    assert formatting.rate(decimal.Decimal("0.125"), "ru") == "12,5\u00a0%"
    assert formatting.rate(decimal.Decimal("0.125"), "en") == "12.5%"
    assert formatting.rate(1, "ru") == "100,0\u00a0%"
    assert formatting.rate(0.6667, "en") == "66.7%"


def test_a_year_is_never_grouped():
    assert formatting.year(2016) == "2016"
    assert formatting.year(decimal.Decimal("2014")) == "2014"
    assert formatting.count(2016, "ru") == "2\u00a0016"  # which is why a year is not a count


def test_dates_and_moments_in_each_language():
    day = dt.date(2015, 4, 1)
    assert formatting.date(day, "ru") == "1 апр. 2015\u202fг."
    assert formatting.date(day, "en") == "Apr 1, 2015"
    moment = "2015-04-01T13:23:45+03:00"  # stored in any zone, written in UTC
    assert formatting.timestamp(moment, "ru") == "1 апр. 2015\u202fг., 10:23 UTC"
    assert formatting.timestamp(moment, "en") == "Apr 1, 2015, 10:23\u202fAM UTC"
    aware = dt.datetime(2015, 4, 1, 22, 5, tzinfo=dt.UTC)
    assert formatting.timestamp(aware, "en") == "Apr 1, 2015, 10:05\u202fPM UTC"


def test_changes_are_signed():
    assert formatting.change(2731, 2700, "en") == "+31"
    assert formatting.change(1000, 3500, "ru") == "−2\u00a0500"
    assert formatting.change(7, 7, "en") == "±0"


def test_any_mart_value():
    assert formatting.value(1618, "en") == "1,618"
    assert formatting.value(dt.date(2015, 3, 1), "en") == "Mar 1, 2015"
    assert formatting.value("RU_THB_2014_v1.xlsx", "ru") == "RU_THB_2014_v1.xlsx"
    assert formatting.value(None, "ru") == "—"
    with pytest.raises(TypeError):
        formatting.value(True, "en")  # yes/no is a word of the text (council.render.cell)
