"""A query letter's XLSX keeps numbers as numbers and never turns a text into a formula."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from programme_monitoring.publishing.letters import letter_files
from programme_monitoring.publishing.letters.queries import Letter

HOSTILE = ['=HYPERLINK("http://example.org","x")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0", "\t=1"]


def letter(texts: list[str]) -> Letter:
    items = [
        {
            "item_number": n,
            "finding_id": f"{n:016x}",
            "rule_code": "rule",
            "state_code": "KZ",
            "programme_code": "THB",
            "reporting_year": 2015,
            "indicator_code": "THB05",
            "disaggregation": "total",
            "left_value": Decimal("25.0000"),
            "operator": "<=",
            "right_value": Decimal("21.5000"),
            "values_involved": None,
            "message_en": text,
            "message_ru": text,
            "source_file": text,
            "source_sheet": text,
            "source_row": 7,
            "indicator_name_ru": None,
            "indicator_name_en": None,
        }
        for n, text in enumerate(texts, 1)
    ]
    return Letter("EC-Q-2026-KZ-0001", "kz", "KZ", dt.datetime(2026, 11, 28, tzinfo=dt.UTC), None, items)


def test_texts_that_look_like_formulas_stay_texts_and_numbers_stay_numbers():
    data = letter_files.xlsx_bytes(letter(HOSTILE))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in sheet or "<f " in sheet for sheet in sheets)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [r for r in sheet.iter_rows() if isinstance(r[0].value, int)]
    assert [r[0].value for r in rows] == [1, 2, 3, 4, 5, 6]
    for row, text in zip(rows, HOSTILE, strict=True):
        texts = [c for c in row if c.value == text]
        assert len(texts) == 4 and all(c.data_type == "s" and c.quotePrefix for c in texts)
        numbers = [c.value for c in row if c.data_type == "n" and c.value is not None]
        assert numbers == [row[0].value, 2015, 7, 25, 21.5]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_html_says_the_comparison_in_the_reader_s_words(lang):
    html = letter_files.html(letter(["x"]))
    part = html.split('<section lang="en">')[0 if lang == "ru" else 1]
    assert ("25 ≤ 21,5" if lang == "ru" else "25 ≤ 21.5") in part
    assert ("Запрос по замечаниям" in part) == (lang == "ru")


def test_an_intake_rule_s_values_are_named_in_the_reader_s_words():
    item = letter(["x"])
    item.items[0].update(left_value=None, right_value=None, operator=None)
    item.items[0]["values_involved"] = (
        '{"indicator_code": "THB05", "indicators": "THB04|THB05", "prosecuted": 1140, "convicted": 1680}'
    )
    html = letter_files.html(item)
    ru, en = html.split('<section lang="en">')
    assert "THB04|THB05" not in html  # which indicators the rule compares: not a value
    assert "привлечено к ответственности: 1\u00a0140; осуждено: 1\u00a0680" in ru
    assert "brought to justice: 1,140; convicted: 1,680" in en
