"""The Council report's HTML in each language, from a hand-made edition (no database)."""

from __future__ import annotations

import re

import pytest
from programme_monitoring.publishing.council.render import build_context, render_html
from programme_monitoring.reference import load_reference


def _text(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def pages(mart_data, tmp_path_factory):
    """Both languages of one edition, rendered once for the module (the charts take a while)."""
    from programme_monitoring.publishing.council.editions import Edition

    edition = Edition(2014, mart_data, "2026-11-28T06:00:00+00:00", [], None, tmp_path_factory.mktemp("e"))
    return {lang: render_html(build_context(edition, lang)) for lang in ("ru", "en")}


def test_headline_table_has_the_seed_labels_and_babel_figures(pages):
    for lang, crimes in (("ru", "2\u00a0731"), ("en", "2,731")):
        text = _text(pages[lang])
        labels = load_reference().headline_labels(lang)
        # label | 2013 (no figures: —) | 2014 | change
        assert f"{labels['crimes_identified']} — {crimes} —" in text, lang
        assert f"{labels['specialists_certified']} — — —" in text, lang  # not reported: a dash, not 0
    assert "Использовано отчётов — 30 —" in _text(pages["ru"])  # as rpt_headline_figures.yml documents it
    assert "Reports used — 30 —" in _text(pages["en"])


def test_years_are_not_grouped_and_dates_follow_the_language(pages):
    english, russian = _text(pages["en"]), _text(pages["ru"])
    assert "Headline figures for 2014" in english and "2,014" not in english
    assert "Основные показатели за 2014 год" in russian and "2\u00a0014" not in russian
    assert "Data as of Apr 2, 2015, 9:30\u202fAM UTC" in english
    assert "Данные по состоянию на 2 апр. 2015\u202fг., 09:30 UTC" in russian
    assert "Apr 20, 2015" in english and "20 апр. 2015\u202fг." in russian  # a late submission


def test_tables_use_the_marts_names_rates_and_words(pages):
    english, russian = _text(pages["en"]), _text(pages["ru"])
    assert "Russian Federation 5 3 1 0 1 60.0% RU_THB_2014_v1.xlsx" in english
    assert "Российская Федерация 5 3 1 0 1 60,0\u00a0% RU_THB_2014_v1.xlsx" in russian
    assert "THB01: crimes identified" in english and "THB01: выявлено преступлений" in russian
    assert "Republic of Kazakhstan 731" in english and "Russian Federation 2,000" in english
    assert "Reported late: Republic of Kazakhstan (THB)" in english
    assert "Did not report: BY (THB)" in english  # no name in the marts: the code
    assert "THB Russian Federation yes Apr 1, 2015 Feb 10, 2015 yes" in english
    assert "THB Российская Федерация да 1 апр. 2015\u202fг. 10 февр. 2015\u202fг. да" in russian
    assert "A jump" in english and "Скачок" in russian and "Скачок" not in english


def test_text_is_escaped_and_charts_embedded(pages):
    html = pages["en"]
    assert html.count('src="data:image/png;base64,') == 2
    assert "<script" not in html
    assert "No earlier edition: this is the first edition for the year." in html


def test_revisions_are_listed_with_the_previous_edition(edition):
    edition.previous_edition = "2026-11-27T08:00:00+00:00"
    edition.revisions = [
        {"table": "headline", "key": {"reporting_year": 2014}, "column": "crimes_identified"}
        | {"previous": 2700, "current": 2731}
    ]
    english = _text(render_html(build_context(edition, "en")))
    assert "Figures changed since the edition of Nov 27, 2026, 8:00\u202fAM UTC" in english
    assert "headline reporting_year=2014 crimes_identified 2,700 2,731" in english


def test_only_known_languages(edition):
    from programme_monitoring.publishing.council.editions import write_council_report

    with pytest.raises(ValueError, match="expected one of"):
        write_council_report(2014, languages=("de",), output_dir=edition.output_dir)
