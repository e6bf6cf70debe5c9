"""Scalar parsers of report template version 1: one cell (or CSV field, or JSON value) in,
one typed value out, or a ``ValueError`` whose message tells the sender what to write.

Every reader applies these same rules (the CSV reader once per distinct value of a column);
the reader adds where the value stands.
"""

from __future__ import annotations

import datetime as dt
import re

from programme_monitoring.report_format.labels import (
    ALIASES,
    TOTAL,
    label,
    lookup,
    means_not_reported,
    means_total,
)

# Whole numbers, optionally with a consistent thousands separator: "1234", "1 234", "1,234".
_WHOLE = re.compile(r"[+-]?(?:\d{1,3}(?P<sep>[ ,])\d{3}(?:(?P=sep)\d{3})*|\d+)")
_DECIMAL = re.compile(r"[+-]?\d[\d ,]*[.,]\d+")


def parse_count(raw: object) -> int | None:
    """A reported count, or None for "not reported" (empty or a not-reported token).

    Raises ValueError for anything that is not a whole number. Negative numbers are read
    as written: the content checks reject them, naming the value.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise ValueError(f"{raw!r} is not a whole number: counts have no fractions")
    if isinstance(raw, str):
        text = re.sub(r"[\s\u00a0\u202f\u2009]+", " ", raw).replace("\u2212", "-").strip()
        if not text or means_not_reported(text):
            return None
        if _WHOLE.fullmatch(text):
            return int(re.sub(r"[ ,]", "", text))
        if _DECIMAL.fullmatch(text):
            raise ValueError(
                f"{raw!r} is not a whole number: it has a decimal part (a comma is only a thousands "
                "separator, as in 1,234); counts are whole numbers"
            )
        if text.startswith("="):
            raise ValueError(f"{raw!r} is not a whole number: formulas written as text are not evaluated")
        raise ValueError(
            f"{raw!r} is not a whole number: write digits (e.g. 1234 or 1 234), "
            f"or leave empty / write 'not reported' if there is no figure"
        )
    raise ValueError(f"{raw!r} ({type(raw).__name__}) is not a whole number")


def parse_whole(raw: object) -> int:
    """A whole number that must be there (reporting year, report version)."""
    number = parse_count(raw)
    if number is None:
        raise ValueError("a whole number is required here")
    return number


def cell_text(raw: object) -> str:
    """A cell as the text it shows: "" for empty, 12.0 as "12", a date-time as its date."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    return str(raw).strip()


def parse_date(raw: object) -> dt.date:
    """A date cell, or text as YYYY-MM-DD or DD.MM.YYYY."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = cell_text(raw)
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD (e.g. 2015-02-14) or DD.MM.YYYY")


def parse_code(raw: object) -> str:
    """An indicator or measure code exactly as written; a number or date is refused, since
    Excel (or a JSON writer) may already have changed it: 01 -> 1, 1.10 -> 1.1, 1.1.1 -> a date."""
    if isinstance(raw, bool | int | float | dt.date | dt.time):
        kind = "date" if isinstance(raw, dt.date | dt.time) else "number"
        raise ValueError(
            f"the code is stored as a {kind} ({cell_text(raw)!r}), so its leading zeros or trailing "
            "digits may be lost: format the column as Text and type the code as the template shows it "
            "(e.g. 01.1.1)"
        )
    return cell_text(raw)


# Text already in the form parse_disaggregation returns (a lowercase ASCII dimension, "=", a
# value without surrounding spaces): a large file's distinct values skip the parser.
CANONICAL_DISAGGREGATION = re.compile(r"[a-z0-9_]+=(?:\S|\S.*\S)")


def parse_disaggregation(raw: object) -> str:
    """ "total" for an empty cell, else "dimension=value" with a lowercase dimension."""
    text = cell_text(raw)
    if not text or means_total(text):
        return TOTAL
    dimension, sep, value = text.partition("=")
    dimension = re.sub(r"\s+", "_", dimension.strip().lower())
    value = value.strip()
    if not sep or not dimension or not value:
        raise ValueError(f"{text!r}: write 'total' (or leave empty) or 'dimension=value', e.g. 'sex=female'")
    return f"{dimension}={value}"


def parse_status(raw: object) -> str:
    """A measure status in any accepted spelling, as its canonical key (e.g. "in_progress")."""
    status = lookup("status", raw)
    if status is None:
        allowed = "; ".join(label("status", key) for key in ALIASES["status"])
        raise ValueError(f"{cell_text(raw)!r} is not a measure status: write one of {allowed}")
    return status
