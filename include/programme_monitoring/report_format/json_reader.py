"""The JSON reader of report template version 1 (for systems that send data directly).

One object: ``template_version``, ``header`` (the HEADER_FIELDS keys) and two arrays of
objects, ``indicator_values`` (JSON_INDICATOR_KEYS) and ``measures`` (JSON_MEASURE_KEYS).
Keys are exact; unknown keys are refused. A problem is named by section (as the sheet), the
entry's position in its array, 1-based (as the row), and the key (as the column).

Before the document is parsed its nesting depth is measured (at most ``MAX_JSON_DEPTH``
levels: the report has three), so no document can exhaust Python's recursion; integers of
more than ``MAX_COUNT_DIGITS`` digits stay text (Python refuses to convert very long ones,
and no count has that many digits), ``NaN`` and ``Infinity`` are refused, and a key that
appears twice in any object is refused, naming its path: the parser would keep the last one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from programme_monitoring.report_format.collector import Collector
from programme_monitoring.report_format.labels import (
    HEADER_FIELDS,
    JSON_INDICATOR_KEYS,
    JSON_MEASURE_KEYS,
    REQUIRED,
)
from programme_monitoring.report_format.records import TEMPLATE_VERSION, ReportHeader
from programme_monitoring.report_format.values import MAX_COUNT_DIGITS

SECTIONS = ("template_version", "header", "indicator_values", "measures")
MAX_JSON_DEPTH = 8  # levels of nested arrays and objects; a report has 3
_DEPTH_BLOCK = 1 << 20


class _Object(dict):
    """A JSON object that remembers the keys it was given more than once."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, object]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        obj.repeated = tuple(dict.fromkeys(k for k, _ in pairs if k in seen or seen.add(k)))
    return obj


def _integer(text: str) -> int | str:
    """A JSON integer; one too long for any count stays text, refused by the value parser."""
    return int(text) if len(text.lstrip("-")) <= MAX_COUNT_DIGITS + 1 else text


def _constant(name: str) -> object:
    raise ValueError(f"{name} is not a number")


def _depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects, brackets inside strings left out, measured a
    block of ``_DEPTH_BLOCK`` bytes at a time with numpy: a quote ends or begins a string unless
    an odd number of backslashes stands before it. (A regular expression taking the strings out
    of a 50 MB document held 0.7 GB while it ran.)"""
    depth = deepest = backslashes = 0
    in_string = False  # (these three are carried from one block to the next)
    document = np.frombuffer(data, dtype=np.uint8)
    for start in range(0, len(document), _DEPTH_BLOCK):
        block = document[start : start + _DEPTH_BLOCK]
        at = np.arange(len(block))
        last_other = np.maximum.accumulate(np.where(block == ord("\\"), -1, at))  # last non-backslash
        before = np.empty(len(block), dtype=np.int64)  # backslashes just before each byte
        before[0] = backslashes
        before[1:] = np.where(last_other[:-1] >= 0, at[:-1] - last_other[:-1], at[1:] + backslashes)
        quotes = (block == ord('"')) & (before % 2 == 0)
        inside = (np.cumsum(quotes) + in_string) % 2 == 1  # (a bracket is no quote: inside it or not)
        opens = ((block == ord("[")) | (block == ord("{"))) & ~inside
        closes = ((block == ord("]")) | (block == ord("}"))) & ~inside
        steps = opens.astype(np.int8) - closes.astype(np.int8)
        levels = depth + np.cumsum(steps[steps != 0])
        if len(levels):
            deepest, depth = max(deepest, int(levels.max())), int(levels[-1])
        in_string = bool(inside[-1])
        last = int(last_other[-1])
        backslashes = len(block) - 1 - last if last >= 0 else backslashes + len(block)
    return deepest


def _repeated_keys(node: object, path: tuple = ()) -> list[tuple]:
    """Paths of the keys given twice in one object, e.g. ("header", "state"),
    ("measures", 2, "status")."""
    found: list[tuple] = []
    if isinstance(node, _Object):
        found += [(*path, key) for key in node.repeated]
        for key, value in node.items():
            found += _repeated_keys(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node, start=1):
            found += _repeated_keys(value, (*path, i))
    return found


def _place(path: tuple) -> tuple[str, int | None, str]:
    """(section, entry, key) of a key path as a place in the report: the sheet, row and column
    of the other formats; a path of another shape is named whole as the column."""
    if len(path) == 1:
        return "", None, str(path[0])[:60]
    if len(path) == 2 and path[0] == "header":
        return "header", None, str(path[1])[:60]
    if len(path) == 3 and isinstance(path[1], int):
        return str(path[0])[:60], path[1], str(path[2])[:60]
    return "", None, "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")[:120]


def _load(path: Path, out: Collector) -> object:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise out.error(
            f"not UTF-8 text (byte {exc.start}): save the JSON as UTF-8",
            f"текст не в кодировке UTF-8 (байт {exc.start}): сохраните JSON в UTF-8",
        ) from None
    depth = _depth(data)
    if depth > MAX_JSON_DEPTH:
        raise out.error(
            f"arrays and objects are nested {depth} levels deep (at most {MAX_JSON_DEPTH}; a report "
            "has 3): this is not a report in template version 1",
            f"массивы и объекты вложены на {depth} уровней (не более {MAX_JSON_DEPTH}; в отчёте их 3): "
            "это не отчёт по шаблону версии 1",
        )
    try:
        return json.loads(text, object_pairs_hook=_object, parse_int=_integer, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise out.error(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            f"некорректный JSON (строка {exc.lineno}, позиция {exc.colno}): файл обрезан или повреждён",
        ) from None
    except (ValueError, RecursionError) as exc:
        raise out.error(
            f"not valid JSON ({exc if isinstance(exc, ValueError) else 'nested too deeply'}): "
            "numbers must be finite (no NaN or Infinity)",
            "некорректный JSON: числа должны быть конечными (без NaN и Infinity)",
        ) from None


def read_json(path: Path, out: Collector) -> ReportHeader:
    """Hand the document's header and entries to ``out``; returns the header."""
    doc = _load(path, out)
    for path in _repeated_keys(doc):
        out.problem(
            "the key appears more than once in its object, with only one value kept: give it once",
            "ключ указан в объекте несколько раз, а сохраняется лишь одно значение: укажите его один раз",
            *_place(path),
        )
    out.stop_if_problems()  # the document is ambiguous: nothing in it can be trusted
    if not isinstance(doc, dict):
        raise out.error(
            f"the JSON must be an object with {', '.join(SECTIONS)}",
            f"JSON должен быть объектом с ключами {', '.join(SECTIONS)}",
        )
    for key in doc:
        if key not in SECTIONS:
            raise out.error(
                f"unknown key {key[:60]!r}: expected {', '.join(SECTIONS)}",
                f"неизвестный ключ {key[:60]!r}: ожидаются {', '.join(SECTIONS)}",
                column=key[:60],
            )
    version = doc.get("template_version")
    if isinstance(version, bool) or version != TEMPLATE_VERSION:
        raise out.error(
            f"template_version must be {TEMPLATE_VERSION}",
            f"template_version должен быть равен {TEMPLATE_VERSION}",
            column="template_version",
        )
    head = doc.get("header")
    if not isinstance(head, dict):
        raise out.error(
            "header must be an object with " + ", ".join(HEADER_FIELDS),
            "header должен быть объектом с ключами " + ", ".join(HEADER_FIELDS),
            column="header",
        )
    for key in head:
        if key not in HEADER_FIELDS:
            raise out.error(
                f"unknown header key {key[:60]!r}: expected {', '.join(HEADER_FIELDS)}",
                f"неизвестный ключ заголовка {key[:60]!r}: ожидаются {', '.join(HEADER_FIELDS)}",
                "header",
                column=key[:60],
            )
    fields = {key: (value, None) for key, value in head.items()}
    header = out.header(fields, "header", {key: key for key in HEADER_FIELDS})
    for section, keys, add in (
        ("indicator_values", JSON_INDICATOR_KEYS, out.indicator),
        ("measures", JSON_MEASURE_KEYS, out.measure),
    ):
        items = doc.get(section, [])
        if not isinstance(items, list):
            raise out.error(
                f"{section} must be an array of objects",
                f"{section} должен быть массивом объектов",
                column=section,
            )
        names = {key: key for key in keys}
        required = REQUIRED["indicator" if section == "indicator_values" else "measure"]
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                out.problem(
                    "each entry must be an object", "каждая запись должна быть объектом", section, number
                )
                continue
            unknown = [key for key in item if key not in keys]
            missing = [key for key in required if key not in item]
            for key in unknown:
                out.problem(
                    f"unknown key {key[:60]!r}: expected {', '.join(keys)}",
                    f"неизвестный ключ {key[:60]!r}: ожидаются {', '.join(keys)}",
                    section,
                    number,
                    key[:60],
                )
            for key in missing:
                out.problem(
                    f"key {key!r} is missing (use null for a value not reported)",
                    f"нет ключа {key!r} (для непредставленного значения укажите null)",
                    section,
                    number,
                    key,
                )
            if not unknown and not missing:
                add(item, section, number, names)
    return header
