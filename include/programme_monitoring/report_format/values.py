"""Scalar parsers of report template version 1: one cell (or CSV field, or JSON value) in,
one typed value out, or a ``Refusal`` whose message (English and Russian) tells the sender
what to write.

Every reader applies these same rules (the CSV reader once per distinct value of a column);
the reader adds where the value stands. The bounds below hold before anything reaches the
database, so an accepted value always fits its column and no sum of them can overflow:

* counts: at most ``MAX_COUNT_DIGITS`` digits here, then at most the ceiling of the
  indicator's unit (seed ``units``, checked by the collector);
* reporting year ``YEAR_RANGE``, report version ``VERSION_RANGE``;
* text: ``TEXT_LIMITS`` characters per kind of field; no control characters (C0, DEL, C1,
  line/paragraph separators, bidirectional overrides, lone surrogates), except tab and line
  break in the long free-text fields (comment, narrative);
* codes (state, programme, disaggregation members): canonical letter case, and a code with
  a look-alike letter (Cyrillic "К" in "KZ") is refused showing its code points.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

import numpy as np

from programme_monitoring.reference import code_lists
from programme_monitoring.report_format.labels import (
    ALIASES,
    TOTAL,
    label,
    lookup,
    means_not_reported,
    means_total,
)
from programme_monitoring.report_format.records import Refusal

# Bounds of report values (documented in docs/report_template_v1.md).
MAX_COUNT_DIGITS = 18  # any such number fits PostgreSQL's bigint; the unit ceilings are far lower
YEAR_RANGE = (1991, 2100)  # the CIS was founded in 1991
VERSION_RANGE = (1, 999)  # report versions: 1, then one more per correction
TEXT_LIMITS = {"code": 64, "short": 500, "long": 4000}  # characters

# Whole numbers, optionally with a consistent thousands separator: "1234", "1 234", "1,234".
_WHOLE = re.compile(r"[+-]?(?:\d{1,3}(?P<sep>[ ,])\d{3}(?:(?P=sep)\d{3})*|\d+)")
_DECIMAL = re.compile(r"[+-]?\d[\d ,]*[.,]\d+")
_LIMIT = 10**MAX_COUNT_DIGITS


def _too_many_digits(text: str) -> Refusal:
    digits = sum(ch.isdigit() for ch in text)
    return Refusal(
        f"a number of {digits} digits: a count has at most {MAX_COUNT_DIGITS} digits; check the value",
        f"число из {digits} цифр: в значении не более {MAX_COUNT_DIGITS} цифр; проверьте значение",
    )


def parse_count(raw: object) -> int | None:
    """A reported count, or None for "not reported" (empty or a not-reported token).

    Raises Refusal for anything that is not a whole number of at most MAX_COUNT_DIGITS
    digits. Negative numbers are read as written: the content checks reject them.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise Refusal(f"{raw!r} is not a whole number", f"{raw!r} — не целое число")
    if isinstance(raw, int):
        if abs(raw) >= _LIMIT:
            raise _too_many_digits(str(abs(raw)) if abs(raw) < 10**4000 else "9" * 4000)
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            if abs(raw) >= _LIMIT:
                raise _too_many_digits(f"{abs(raw):.0f}" if abs(raw) < 1e300 else "9" * 300)
            return int(raw)
        raise Refusal(
            f"{raw!r} is not a whole number: counts have no fractions",
            f"{raw!r} — не целое число: в значении не может быть дробной части",
        )
    if isinstance(raw, str):
        if raw.isdigit() and raw.isascii() and len(raw) <= MAX_COUNT_DIGITS:
            return int(raw)  # the common case, at once
        text = re.sub(r"[\s\u00a0\u202f\u2009]+", " ", raw).replace("\u2212", "-").strip()
        if not text or means_not_reported(text):
            return None
        if _WHOLE.fullmatch(text):
            digits = re.sub(r"[ ,+-]", "", text)
            if len(digits.lstrip("0")) > MAX_COUNT_DIGITS:
                raise _too_many_digits(digits.lstrip("0"))
            return int(re.sub(r"[ ,]", "", text))
        shown = _shown(raw)
        if _DECIMAL.fullmatch(text):
            raise Refusal(
                f"{shown} is not a whole number: it has a decimal part (a comma is only a thousands "
                "separator, as in 1,234); counts are whole numbers",
                f"{shown} — не целое число: есть дробная часть (запятая — только разделитель тысяч, "
                "как в 1,234); значения — целые числа",
            )
        if text.startswith("="):
            raise Refusal(
                f"{shown} is not a whole number: formulas written as text are not evaluated",
                f"{shown} — не целое число: формулы, записанные текстом, не вычисляются",
            )
        raise Refusal(
            f"{shown} is not a whole number: write digits (e.g. 1234 or 1 234), "
            "or leave empty / write 'not reported' if there is no figure",
            f"{shown} — не целое число: запишите цифрами (например, 1234 или 1 234) "
            "или оставьте пустым / напишите «не представлено», если данных нет",
        )
    raise _not_a_single_value(raw)


def _not_a_single_value(raw: object) -> Refusal:
    if isinstance(raw, dict | list):
        return Refusal(
            "a single value is expected here, not a list or an object",
            "здесь ожидается одно значение, а не список или объект",
        )
    return Refusal(
        f"a value of type {type(raw).__name__} is not accepted here",
        f"значение типа {type(raw).__name__} здесь не принимается",
    )


def _shown(text: str, limit: int = 60) -> str:
    """``repr`` of a value for a message, cut to ``limit`` characters (marked with "…")."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"


def bounded_whole(raw: object, low: int, high: int, en: str, ru: str) -> int:
    """A whole number that must be there and lie in [low, high] (reporting year, version);
    ``en``/``ru`` name what it is ("the reporting year" / "отчётный год")."""
    number = parse_count(raw)
    if number is None:
        raise Refusal(f"{en} is required: write a whole number", f"{ru}: укажите целое число")
    if not low <= number <= high:
        raise Refusal(
            f"{en} {number} is out of range: write a whole number from {low} to {high}",
            f"{ru} {number} вне допустимого диапазона: укажите целое число от {low} до {high}",
        )
    return number


def parse_whole(raw: object) -> int:
    """A whole number that must be there (at most MAX_COUNT_DIGITS digits)."""
    number = parse_count(raw)
    if number is None:
        raise Refusal("a whole number is required here", "здесь требуется целое число")
    return number


def cell_text(raw: object) -> str:
    """A cell as the text it shows: "" for empty, 12.0 as "12", a date-time as its date.
    A list or object (JSON) is refused: a field holds one value."""
    if raw is None:
        return ""
    if isinstance(raw, dict | list):
        raise _not_a_single_value(raw)
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e300:
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    return str(raw).strip()


# Characters that can break a terminal, HTML, PDF or spreadsheet output, or make text read
# differently from what it holds: C0 and C1 controls, DEL, line/paragraph separators,
# bidirectional embeddings/overrides/isolates, and lone surrogates (not encodable in UTF-8).
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_LINE_CONTROL = re.compile("[\t\n\r]")
_LONE_CR = re.compile("\r(?!\n)")


def code_point(ch: str) -> str:
    """ "U+041A CYRILLIC CAPITAL LETTER KA" (or just "U+000B" for a character without a name)."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def check_text(text: str, kind: str) -> None:
    """Refuse text too long for its kind ("code", "short", "long") or holding a control
    character; tab and line breaks (LF, CR LF) only in "long" text."""
    limit = TEXT_LIMITS[kind]
    if len(text) > limit:
        raise Refusal(
            f"the text is {len(text)} characters long: at most {limit} are accepted here; shorten it",
            f"длина текста {len(text)} символов: здесь допускается не более {limit}; сократите его",
        )
    bad = _CONTROL.search(text) or (_LONE_CR.search(text) if kind == "long" else _LINE_CONTROL.search(text))
    if bad:
        point = code_point(bad.group())
        raise Refusal(
            f"the text holds an invisible control character ({point}, at position {bad.start() + 1}): "
            "delete it and type the text again",
            f"в тексте невидимый управляющий символ ({point}, позиция {bad.start() + 1}): "
            "удалите его и наберите текст заново",
        )


def _not_latin(text: str, what_en: str, what_ru: str, example: str) -> Refusal | None:
    """A code that must be Latin letters/digits holding other characters (a Cyrillic "К"
    in "KZ" looks the same on screen): name each such character by its code point."""
    odd = [ch for ch in dict.fromkeys(text) if not (ch.isascii() and (ch.isalnum() or ch in "-_.+"))]
    if not odd:
        return None
    points = ", ".join(f"{ch!r} = {code_point(ch)}" for ch in odd[:5])
    return Refusal(
        f"{what_en} {text[:40]!r} holds characters that are not Latin letters or digits ({points}): "
        f"type it again in Latin letters, e.g. {example}",
        f"{what_ru} {text[:40]!r} содержит символы, не являющиеся латинскими буквами или цифрами "
        f"({points}): наберите его заново латиницей, например {example}",
    )


# Letters of other scripts that look like Latin ones (Cyrillic, Greek).
_LOOK_ALIKES = "АВЕКМНОРСТХаеорсухкмтвнійѕԁӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοικνρτυχ"


def _looks_latin(text: str) -> bool:
    """Text that reads as Latin on screen but is not: Latin mixed with other letters, or only
    look-alike letters ("male" with a Cyrillic "а"; "КZ")."""
    if text.isascii():
        return False
    letters = [ch for ch in text if ch.isalpha()]
    return any(ch.isascii() for ch in letters) or all(ch in _LOOK_ALIKES for ch in letters)


def parse_state(raw: object) -> str:
    """A state code: two Latin letters, upper-cased (whether the state exists is a content rule)."""
    text = cell_text(raw)
    check_text(text, "code")
    if refusal := _not_latin(text, "the state code", "код государства", "KZ"):
        raise refusal
    return text.upper()


def parse_programme(raw: object) -> str:
    """A programme code in Latin letters, upper-cased (THB, IM, CR)."""
    text = cell_text(raw)
    check_text(text, "code")
    if refusal := _not_latin(text, "the programme code", "код программы", "THB"):
        raise refusal
    return text.upper()


def parse_text(raw: object, kind: str = "long") -> str:
    """Free text (authority, comment, narrative), checked by ``check_text``."""
    text = cell_text(raw)
    check_text(text, kind)
    return text


def parse_date(raw: object) -> dt.date:
    """A date cell, or text as YYYY-MM-DD or DD.MM.YYYY."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = cell_text(raw)
    if len(text) <= 20:
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                pass
    raise Refusal(
        f"{_shown(text)} is not a date: write YYYY-MM-DD (e.g. 2015-02-14) or DD.MM.YYYY",
        f"{_shown(text)} — не дата: укажите ГГГГ-ММ-ДД (например, 2015-02-14) или ДД.ММ.ГГГГ",
    )


def parse_code(raw: object) -> str:
    """An indicator or measure code exactly as written; a number or date is refused, since
    Excel (or a JSON writer) may already have changed it: 01 -> 1, 1.10 -> 1.1, 1.1.1 -> a date."""
    if isinstance(raw, bool | int | float | dt.date | dt.time):
        kind = ("date", "дата") if isinstance(raw, dt.date | dt.time) else ("number", "число")
        shown = cell_text(raw) if not isinstance(raw, int | float) or abs(raw) < 1e20 else "…"
        raise Refusal(
            f"the code is stored as a {kind[0]} ({shown!r}), so its leading zeros or trailing "
            "digits may be lost: format the column as Text and type the code as the template shows it "
            "(e.g. 01.1.1)",
            f"код сохранён как {kind[1]} ({shown!r}), поэтому начальные нули или последние цифры могли "
            "потеряться: задайте столбцу формат «Текстовый» и наберите код, как в шаблоне (например, 01.1.1)",
        )
    text = cell_text(raw)
    check_text(text, "code")
    if refusal := _not_latin(text, "the code", "код", "THB01 or 2.1.1"):
        raise refusal
    return text


def parse_disaggregation(raw: object) -> str:
    """ "total" for an empty cell, else "dimension=member": a dimension of the code list
    (seed ``disaggregation_dimensions``) and a member it allows, in canonical spelling."""
    return _disaggregation(cell_text(raw))


@lru_cache(maxsize=65_536)
def _disaggregation(text: str) -> str:
    check_text(text, "short")
    if not text or ("=" not in text and means_total(text)):  # no spelling of "total" has a "="
        return TOTAL
    dimension, sep, member = text.partition("=")
    dimension = re.sub(r"\s+", "_", dimension.strip().lower())
    member = member.strip()
    if not sep or not dimension or not member:
        raise Refusal(
            f"{_shown(text)}: write 'total' (or leave empty) or 'dimension=value', e.g. 'sex=female'",
            f"{_shown(text)}: укажите «total» (или оставьте пустым) либо «измерение=значение», "
            "например «sex=female»",
        )
    lists = code_lists()
    if dimension not in lists.dimensions:
        if refusal := _not_latin(dimension, "the dimension", "измерение", "sex"):
            raise refusal
        known = ", ".join(lists.dimensions)
        raise Refusal(
            f"unknown dimension {_shown(dimension)}: use one of {known}",
            f"неизвестное измерение {_shown(dimension)}: укажите одно из {known}",
        )
    return f"{dimension}={canonical_member(dimension, member)}"


def canonical_disaggregations(texts: list[str]) -> list[str | None]:
    """``parse_disaggregation`` of many cell texts at once where a look is enough: a
    free-text dimension (event=..., route=...) spelled canonically, which a large annex gives
    a distinct value per row (one call each cost ~10 s per million rows). None where
    ``parse_disaggregation`` must decide, and word any refusal, one by one: other kinds
    have few distinct values."""
    lists = code_lists()
    free = sorted(d for d, spec in lists.dimensions.items() if spec[0] == "text" and not lists.members.get(d))
    unread: list[str | None] = [None] * len(texts)
    if not texts or not free:
        return unread
    if _canonical_ascii(texts, free):
        return list(texts)
    joined = "".join(texts)  # a control character anywhere, or a value too long: one by one
    if max(map(len, texts)) > TEXT_LIMITS["short"] or _any_control(joined):
        return unread
    # Each value "<free dimension>=<member>", the member not empty and without spaces around
    # it (NUL never occurs in a cell: ``file_safety`` refuses it), checked in one pass.
    # A member's ends are "not whitespace nor NUL": \S alone matches the NUL between values, so
    # an empty member ("route=") read the next value ("=x") as its own and both passed.
    canonical = f"(?:(?:{'|'.join(map(re.escape, free))})=[^\\s\x00](?:[^\x00]*[^\\s\x00])?\x00)*"
    if re.fullmatch(canonical, "\x00".join(texts) + "\x00"):
        return list(texts)
    for i, text in enumerate(texts):
        dimension, _, member = text.partition("=")
        if dimension in free and member and member == member.strip():
            unread[i] = text
    return unread


def _any_control(joined: str) -> bool:
    """Whether the text holds a control character (``_CONTROL``, ``_LINE_CONTROL``); ASCII text is
    checked with numpy (every control character of ASCII is below 32, or 127)."""
    if not joined.isascii():
        return bool(_CONTROL.search(joined) or _LINE_CONTROL.search(joined))
    octets = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    return bool(((octets < 32) | (octets == 127)).any())


def _canonical_ascii(texts: list[str], free: list[str]) -> bool:
    """Whether every value is ASCII and canonical (``canonical_disaggregations``' pattern),
    checked on the bytes of the values joined, with numpy (no Python work per value): no
    control character, at most ``TEXT_LIMITS["short"]`` characters; "<free dimension>=" first
    (a dimension has no "=": it is what precedes the first one); a member neither empty nor
    starting or ending with a space (the only whitespace left in such text)."""
    joined = "\x00".join(texts)
    if not joined.isascii():
        return False
    octets = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    ends = np.flatnonzero(octets == 0)
    if len(ends) != len(texts) - 1 or ((octets < 32) & (octets != 0)).any() or (octets == 127).any():
        return False  # a value holds a NUL or another control character
    starts = np.concatenate(([0], ends + 1))
    lengths = np.concatenate((ends, [len(octets)])) - starts
    if lengths.max() > TEXT_LIMITS["short"]:
        return False
    padded = np.append(octets, np.zeros(TEXT_LIMITS["short"] + 2, dtype=np.uint8))  # reads past the end
    canonical = np.zeros(len(texts), dtype=bool)
    for dimension in free:
        head = np.frombuffer(f"{dimension}=".encode("ascii"), dtype=np.uint8)
        starts_so = lengths > len(head)  # a member follows
        for at, octet in enumerate(head):
            starts_so &= padded[starts + at] == octet
        canonical |= starts_so & (padded[starts + len(head)] != ord(" "))
    return bool(canonical.all() and (padded[starts + lengths - 1] != ord(" ")).all())


def canonical_member(dimension: str, member: str) -> str:
    """The member as the code list spells it, or a Refusal naming the allowed members."""
    lists = code_lists()
    kind, pattern, label_ru, label_en = lists.dimensions[dimension]
    listed = lists.members.get(dimension, {})
    if member.casefold() in listed:
        return listed[member.casefold()]
    if kind == "country" and member.upper() in lists.countries and member.isascii():
        return member.upper()
    if kind == "pattern" and member.isascii() and re.fullmatch(pattern, member.upper()):
        return member.upper()
    if kind == "text":
        return member
    if _looks_latin(member) and (refusal := _not_latin(member, f"the {label_en}", label_ru, "female")):
        raise refusal
    if kind == "closed":
        allowed = ", ".join(listed.values())
    elif kind == "country":
        allowed = "an ISO 3166-1 alpha-2 country code (e.g. KZ) or " + ", ".join(listed.values())
    else:
        allowed = f"a code like {pattern}"
    allowed_ru = (
        allowed.replace("an ISO 3166-1 alpha-2 country code (e.g. KZ) or", "код страны ISO 3166-1 alpha-2 "
                        "(например, KZ) или").replace("a code like", "код вида")
    )  # fmt: skip
    raise Refusal(
        f"{_shown(member)} is not a {label_en} in the code list: write {allowed}",
        f"{_shown(member)} — нет в перечне («{label_ru}»): укажите {allowed_ru}",
    )


def parse_status(raw: object) -> str:
    """A measure status in any accepted spelling, as its canonical key (e.g. "in_progress")."""
    text = cell_text(raw)
    check_text(text, "short")
    status = lookup("status", text)
    if status is None:
        allowed = "; ".join(label("status", key) for key in ALIASES["status"])
        raise Refusal(
            f"{_shown(text)} is not a measure status: write one of {allowed}",
            f"{_shown(text)} — не статус мероприятия: укажите одно из: {allowed}",
        )
    return status


def check_ceiling(indicator_code: str, value: int | None) -> None:
    """Refuse a value above the plausibility ceiling of its indicator's unit (seed ``units``;
    an indicator the catalogue lacks gets the largest ceiling: the content checks refuse it)."""
    lists = code_lists()
    limit = lists.value_ceilings.get(indicator_code, lists.max_value)
    if value is not None and value > limit:
        raise Refusal(
            f"{value:,} is above the largest plausible value for this indicator ({limit:,}): "
            "check the value (a typing error, or a number pasted into the wrong cell?)",
            f"{value:,} больше наибольшего правдоподобного значения для этого показателя ({limit:,}): "
            "проверьте значение (опечатка или число вставлено не в ту ячейку?)",
        )
