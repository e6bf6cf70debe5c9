"""How a figure, a rate, a date or a moment is written in Russian or English.

Every number and date the publications print goes through here, and every rule comes
from Babel's CLDR data for the language (group and decimal separators, percent pattern,
date and date-time patterns), not from code per language. A year is an identifier, not a
count: it is never grouped ("2016", not "2 016"). ``None`` (a figure no state reported)
is written as a dash everywhere.
"""

from __future__ import annotations

import datetime as dt
import decimal
from functools import cache

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent

MISSING = "—"


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


@cache
def _percent_pattern(lang: str) -> str:
    """The language's percent pattern with one decimal ("#,##0 %" -> "#,##0.0 %")."""
    pattern = _locale(lang).percent_formats[None].pattern
    return pattern.replace("0%", "0.0%").replace("0\u00a0%", "0.0\u00a0%")


def count(value, lang: str) -> str:
    """A count or amount, grouped by the language's rules ("2 731" in Russian, "2,731" in English)."""
    if value is None:
        return MISSING
    return format_decimal(value, locale=_locale(lang), decimal_quantization=False)


def rate(value, lang: str) -> str:
    """A share (0.125) as a percentage with one decimal ("12,5 %", "12.5%")."""
    if value is None:
        return MISSING
    return format_percent(value, format=_percent_pattern(lang), locale=_locale(lang))


def year(value) -> str:
    """A year as written, never grouped."""
    return MISSING if value is None else str(int(value))


def date(value: dt.date | None, lang: str) -> str:
    """A calendar date in the language's medium form ("1 апр. 2015 г.", "Apr 1, 2015")."""
    return MISSING if value is None else format_date(value, "medium", locale=_locale(lang))


def timestamp(value: str | dt.datetime | None, lang: str) -> str:
    """A moment (ISO text or aware datetime) in UTC: the language's medium date and short
    time joined by its own date-time pattern, then "UTC"."""
    if not value:
        return MISSING
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment.astimezone(dt.UTC)
    locale = _locale(lang)
    joined = locale.datetime_formats["medium"].replace("{1}", format_date(moment, "medium", locale=locale))
    return joined.replace("{0}", format_time(moment, "short", tzinfo=dt.UTC, locale=locale)) + " UTC"


def value(item, lang: str) -> str:
    """Any mart value: counts and amounts grouped, dates as dates, the rest as text."""
    if isinstance(item, bool):
        raise TypeError("a yes/no value is a word of the publication's text, not a figure")
    if isinstance(item, int | float | decimal.Decimal):
        return count(item, lang)
    if isinstance(item, dt.date):  # datetime included: its date
        return date(item, lang)
    return MISSING if item is None else str(item)


def change(current, previous, lang: str) -> str:
    """The change from ``previous`` to ``current``, signed ("+31", "−5", "±0")."""
    if current is None or previous is None:
        return MISSING
    delta = current - previous
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    return sign + count(abs(delta), lang)
