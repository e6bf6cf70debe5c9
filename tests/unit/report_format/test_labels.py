"""The one table of labels: what the template shows, and every spelling a reader accepts."""

from __future__ import annotations

import pytest
from programme_monitoring.report_format.labels import ALIASES, label, lookup


def test_the_template_shows_russian_and_english() -> None:
    assert label("sheet", "indicators") == "Показатели | Indicators"
    assert label("header", "reporting_year") == "Отчётный год / Reporting year"
    assert label("status", "in_progress") == "выполняется / in progress"


@pytest.mark.parametrize(
    "text",
    ["indicator_code", "Код показателя", "Indicator code", "Код показателя / Indicator code",
     "Indicator code|Код показателя", "  INDICATOR   code ", "код\u00a0показателя", "Код\u200b показателя",
     "\ufeffIndicator code", "Код показателя/Indicator code"],
)  # fmt: skip
def test_any_accepted_spelling_in_any_case_and_spacing_finds_the_key(text: str) -> None:
    assert lookup("indicator", text) == "indicator_code"


def test_yo_and_ye_are_the_same_letter() -> None:
    assert lookup("sheet", "ОТЧЕТ") == lookup("sheet", "отчёт") == "report"


def test_unknown_labels_and_empty_cells_find_nothing() -> None:
    assert lookup("indicator", "Цена") is None
    assert lookup("indicator", None) is None
    assert lookup("status", "done") is None


def test_every_label_of_the_table_reads_back_as_its_key() -> None:
    for scope, entries in ALIASES.items():
        for key, names in entries.items():
            for name in (label(scope, key), *names):
                assert lookup(scope, name) == key, (scope, name)
