"""Fuzzing parse_report: many malformed files of each format, made by mutating a valid report
(seeded, so every run throws the same files). Whatever a file holds, parse_report returns a
report or raises a ReportFormatError that it foresaw: never another exception (a traceback
would stop the intake), and never its last-resort refusal (whose ``__cause__`` is the
unforeseen exception)."""

from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import pytest
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import ReportFormatError
from programme_monitoring.report_format.writer import write_report
from report_files import HEADER, MEASURES, VALUES

# Tokens a hostile or broken sender might put anywhere.
TOKENS = [
    "9" * 19, "9" * 5000, "-" + "9" * 30, "1e400", "-1e400", "NaN", "Infinity", "1.5", "0x1F", "٣",
    "[" * 50, "{" * 50, "]", "}", '"', '""', "'", ",", ";", "\n", "\r", "\x00", "\x0b", "\x1b[31m",
    "\x85", "\u2028", "\u202e", "\ud800", "\ufeff", "\ufffd", "КZ", "mаle", "sex=", "=", "==",
    "operation=spo-2014-01", "sex=Female", "citizenship=xx", "total", "null", "true", "[]", "{}",
    "2147483648", "-2147483649", "0000-00-00", "31.02.2015", "9999-12-31", "x" * 5000,
    '"state": "AM"', "\\u0000", "\\ud800", "<v>x</v>", "&amp;", "<!DOCTYPE x>", "=SUM(A1)",
]  # fmt: skip


def _mutate_text(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(text) + 1)
        kind = rng.random()
        if kind < 0.5:
            text = text[:at] + rng.choice(TOKENS) + text[at:]
        elif kind < 0.7:
            text = text[:at] + text[at + rng.randint(1, 20) :]
        elif kind < 0.85:
            text = text[:at]  # cut short
        else:
            token = rng.choice(TOKENS)
            text = re.sub(r"\d+", lambda _, token=token: token, text, count=rng.randint(1, 3))
    return text


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not data:
            break
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _mutate_xlsx(path: Path, rng: random.Random) -> bytes:
    """Change the sheets' XML inside a valid workbook: values, types, references, structure."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/") or info.filename == "xl/sharedStrings.xml":
                text = data.decode("utf-8")
                for _ in range(rng.randint(1, 3)):
                    choice = rng.random()
                    if choice < 0.3:
                        token = rng.choice(TOKENS)
                        text = re.sub(r"<v>[^<]*</v>", lambda _, t=token: f"<v>{t}</v>", text, count=1)
                    elif choice < 0.5:
                        text = text.replace(
                            't="s"', rng.choice(['t="n"', 't="d"', 't="e"', 't="b"', 't="x"']), 1
                        )
                    elif choice < 0.65:
                        text = re.sub(
                            r'r="([A-Z]+)(\d+)"', rf'r="{rng.choice(["XFD", "AA", "A"])}\2"', text, count=1
                        )
                    elif choice < 0.8:
                        text = text.replace("<row ", '<row hidden="1" ', 1)
                    else:
                        text = _mutate_text(text, rng)
                data = text.encode("utf-8", "surrogatepass")
            target.writestr(info, data)
    return buffer.getvalue()


def _substituted(text: str, rng: random.Random) -> str:
    """One value (JSON) or field (CSV) replaced by a token."""
    fields = list(re.finditer(r'(?<=[:,])\s*("[^"\n]*"|[-\w.]+)', text))
    field, token = rng.choice(fields), rng.choice(TOKENS)
    return text[: field.start()] + token + text[field.end() :]


def _malformed(good: Path, fmt: str, n: int, rng: random.Random) -> bytes:
    if fmt == "xlsx":
        return _mutate_xlsx(good, rng) if n % 4 else _mutate_bytes(good.read_bytes(), rng)
    text = good.read_text(encoding="utf-8")
    if n % 5 == 0:
        return _mutate_bytes(good.read_bytes(), rng)
    mutated = _substituted(text, rng) if n % 2 else _mutate_text(text, rng)
    return mutated.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize(("fmt", "rounds"), [("csv", 300), ("json", 400), ("xlsx", 120)])
def test_only_foreseen_refusals_escape_parse_report(tmp_path: Path, fmt: str, rounds: int) -> None:
    good = write_report(HEADER, VALUES, MEASURES, tmp_path / f"good.{fmt}", fmt)
    rng = random.Random(f"issue-16-{fmt}")
    outcomes = {"read": 0, "refused": 0}
    for n in range(rounds):
        path = tmp_path / f"m{n}.{fmt}"
        path.write_bytes(_malformed(good, fmt, n, rng))
        try:
            parse_report(path)
            outcomes["read"] += 1
        except ReportFormatError as error:
            assert error.__cause__ is None, (path.read_bytes()[:300], error, error.__cause__)
            assert error.reason and error.reason_ru and error.reason != error.reason_ru
            outcomes["refused"] += 1
    assert outcomes["refused"] > rounds // 2  # the mutations were hostile enough to matter
