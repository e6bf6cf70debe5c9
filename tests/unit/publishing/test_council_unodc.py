"""The Council report's comparison with UNODC GLOTIP: table, statuses in words, caveats."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from programme_monitoring.publishing.council.queries import sections
from programme_monitoring.publishing.council.render import build_context, render_html

COLUMNS = [
    "state_code", "reporting_year", "indicator_code", "unodc_indicator", "report_value", "unodc_value",
    "unodc_value_text", "unodc_is_censored", "difference", "status", "release_date", "source_sha256",
    "source_file",
]  # fmt: skip
D = decimal.Decimal
RELEASE = dt.date(2023, 5, 30)
ROWS = [
    ("KZ", 2014, "THB01", "Offences of trafficking in persons", D(1279), D(1279), "1,279", False, D(0),
     "equal", RELEASE, "ab", "KZ_THB_2014_v1.xlsx"),
    ("RU", 2014, "THB01", "Offences of trafficking in persons", D(12), None, "<5", True, None,
     "censored_inconsistent", RELEASE, "ab", "RU_THB_2014_v1.xlsx"),
]  # fmt: skip


@pytest.fixture
def pages(edition):
    section = sections()["unodc"]
    section.columns, section.rows = COLUMNS, ROWS
    edition.data.sections["unodc"] = section
    yield {lang: render_html(build_context(edition, lang)) for lang in ("ru", "en")}
    del edition.data.sections["unodc"]


def test_the_comparison_table_shows_both_figures_as_published(pages):
    en, ru = pages["en"], pages["ru"]
    assert "Comparison with UNODC (GLOTIP)" in en and "release of 30 May 2023" in en.replace(
        "May 30, 2023", "30 May 2023"
    )
    assert "<td>1,279</td><td>1,279</td>" in en  # the state's figure by Babel, UNODC's as published
    assert "<td>&lt;5</td>" in en and "inconsistent (UNODC value censored)" in en
    assert (
        "Сопоставление с данными УНП ООН (GLOTIP)" in ru and "не согласуется (значение УНП ООН скрыто)" in ru
    )
    assert "<td>1\xa0279</td>" in ru or "<td>1 279</td>" in ru


def test_every_corresponding_indicator_has_its_caveat_in_both_languages(pages):
    assert pages["en"].count("Persons convicted: UNODC counts persons found guilty") == 1
    assert "Comparability caveats" in pages["en"] and "Оговорки о сопоставимости" in pages["ru"]
    assert "УНП ООН учитывает лиц, признанных виновными" in pages["ru"]
    assert "never replaced by a number" in pages["en"]


def test_a_report_without_the_section_renders_as_before(edition):
    assert "unodc" not in edition.data.sections
    assert "UNODC" not in render_html(build_context(edition, "en"))
