"""The Council report's HTML in each language, from a hand-made edition (no database)."""

from __future__ import annotations

import html as markup
import re

import pytest
from programme_monitoring.publishing.council.render import build_context, render_html
from programme_monitoring.reference import load_reference


def _text(html: str) -> str:
    return markup.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)))


def _body_text(html: str) -> str:
    """What a reader sees: the text without the style sheet and the embedded images."""
    return _text(re.sub(r"<style>.*?</style>", "", html, flags=re.S))


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


def test_cover_contents_summary_then_sections(pages):
    for lang, words in (
        ("ru", ["Исполнительный комитет", "Содержание", "1. Краткое изложение", "7. Изменения"]),
        ("en", ["Executive Committee", "Contents", "1. Summary", "7. Figures revised"]),
    ):
        text = _body_text(pages[lang])
        places = [text.index(w) for w in words]
        assert places == sorted(places), lang
    english = _body_text(pages["en"])
    assert "Reports received: 2 of 3 expected; on time: 1." in english
    assert "Measures implemented under the trafficking in persons programme: 3 of 5 (60.0%)." in english
    assert "Chairman of the Executive Committee" in english  # the signature block


def test_years_are_not_grouped_and_dates_follow_the_language(pages):
    english, russian = _text(pages["en"]), _text(pages["ru"])
    assert "Headline figures for 2014" in english and "2,014" not in english
    assert "Основные показатели за 2014 год" in russian and "2\u00a0014" not in russian
    assert "Data as of Apr 2, 2015, 9:30\u202fAM UTC" in english
    assert "Данные по состоянию на 2 апр. 2015\u202fг., 09:30 UTC" in russian
    assert "Apr 20, 2015" in english and "20 апр. 2015\u202fг." in russian  # a late submission


def test_tables_use_the_marts_names_rates_and_words(pages):
    english, russian = _text(pages["en"]), _text(pages["ru"])
    assert "Russian Federation 5 3 1 0 1 60.0%" in english
    assert "Российская Федерация 5 3 1 0 1 60,0\u00a0%" in russian
    assert "crimes identified" in english and "выявлено преступлений" in russian
    assert "Republic of Kazakhstan 731" in english and "Russian Federation 2,000" in english
    assert "Reported late: Republic of Kazakhstan (trafficking in persons)" in english
    assert "Did not report: BY (trafficking in persons)" in english  # no name in the marts: the code
    assert "trafficking in persons Russian Federation yes Apr 1, 2015 Feb 10, 2015 yes" in english
    assert "торговля людьми Российская Федерация да 1 апр. 2015\u202fг. 10 февр. 2015\u202fг. да" in russian
    assert "A jump" in english and "Скачок" in russian and "Скачок" not in english
    # the warehouse's rule in words, its figures by Babel
    assert "value 731 far from the median of the state's other years (3.5)" in english
    assert "значение 731 далеко от медианы других лет государства (3,5)" in russian
    assert "vs median" not in russian
    assert "осуждено лиц всего" in russian and "persons convicted total" in english  # the breakdown


# What a reader must never meet: codes and identifiers of the warehouse.
RAW = {
    "snake_case name": r"\b[a-z]+_[a-z0-9_]+\b",
    "schema-qualified mart": r"\bmarts\.",
    "key=value": r"\b[a-z_]+=\w",
    "long decimal": r"\d[.,]\d{6,}",
    "ISO date": r"\b\d{4}-\d{2}-\d{2}\b",
    "grouped year": r"\b2[\u00a0\u202f ,]0[12]\d\b",
    "file name": r"(?<!annex)\.(xlsx|csv|json)\b",  # the annex is named: the reader opens it
}
RUSSIAN_RAW = {
    "English severity or breakdown": r"\b(warning|error|total)\b",
    "programme code": r"\b(THB|IM|CR)\b",
}


def test_no_raw_identifier_in_either_language(edition):
    from programme_monitoring.publishing.council.editions import Edition

    revised = Edition(
        2014, edition.data, "2026-11-28T06:00:00+00:00", [], "2026-11-27T08:00:00+00:00", edition.output_dir
    )
    kz = {"state_code": "KZ", "programme_code": "THB", "reporting_year": 2014, "indicator_code": "THB01"}
    ru = {"state_code": "RU", "programme_code": "THB", "reporting_year": 2014}
    revised.revisions = [
        {"table": "indicators", "key": kz, "column": "value", "previous": 700, "current": 731},
        {"table": "implementation", "key": ru, "column": "measures_implemented", "previous": 2, "current": 3},
        {"table": "implementation", "key": ru, "column": "implementation_rate"}
        | {"previous": "0.40000000000000000000", "current": "0.60000000000000000000"},
    ]
    for lang in ("ru", "en"):
        text = _body_text(render_html(build_context(revised, lang)))
        checks = RAW | (RUSSIAN_RAW if lang == "ru" else {})
        for what, pattern in checks.items():
            found = re.findall(pattern, text)
            assert not found, (lang, what, found[:5])
    assert "KZ" not in _body_text(render_html(build_context(revised, "ru")))


def test_synthetic_figures_are_marked_on_the_cover_and_every_page(edition, mart_data):
    for lang, banner in (("ru", "СИНТЕТИЧЕСКИЕ ДАННЫЕ"), ("en", "SYNTHETIC DATA")):
        html = render_html(build_context(edition, lang))
        assert _body_text(html).count(banner) >= 2, lang  # cover and the edition's description
        assert "@top-center" in html and banner in html.split("</style>")[0]  # every page's head
    real = mart_data.synthetic_reports
    try:
        mart_data.synthetic_reports = 1
        some = _body_text(render_html(build_context(edition, "ru")))
        mart_data.synthetic_reports = 0
        html = render_html(build_context(edition, "en"))
    finally:
        mart_data.synthetic_reports = real
    assert "Часть показателей получена из сгенерированных (учебных) отчётов" in some
    assert "(отчётов: 1 из 2)" in some
    assert "SYNTHETIC" not in html


def test_comparability_notes_where_a_figure_changes_composition(pages):
    english, russian = _body_text(pages["en"]), _body_text(pages["ru"])
    labels = load_reference().headline_labels("en")
    assert "2 states: trafficking in persons" not in english  # states counted once per programme ...
    assert "10 states: crime, trafficking in persons" in english  # ... the most of its parts
    assert (
        f"“{labels['crimes_identified']}”: composition changes — 2014: crime, trafficking in persons; "
        "2015: illegal migration, trafficking in persons." in english
    )
    assert "состав меняется — 2014: борьба с преступностью, торговля людьми; 2015:" in russian
    assert labels["criminal_groups_terminated"] + "”: composition" not in english  # same reports both years
    summary = english[english.rindex("1. Summary") : english.rindex("2. Headline figures by year")]
    assert f"Comparability: the make-up of “{labels['crimes_identified']}” changes over the years" in summary


def test_text_is_escaped_and_charts_embedded(pages):
    html = pages["en"]
    assert html.count('src="data:image/png;base64,') == 2
    assert "<script" not in html
    assert "No earlier edition: this is the first edition for the year." in html


def test_revisions_are_counted_as_values_and_the_headline_figure_marked(edition):
    edition.previous_edition = "2026-11-27T08:00:00+00:00"
    key = {"state_code": "RU", "programme_code": "THB", "reporting_year": 2014, "indicator_code": "THB01"}
    edition.revisions = [
        {"table": "headline", "key": {"reporting_year": 2014}, "column": "crimes_identified"}
        | {"previous": 2700, "current": 2731},
        {"table": "headline", "key": {"reporting_year": 2014}, "column": "reports_used"}
        | {"previous": 29, "current": 30},
        {"table": "indicators", "key": key, "column": "value", "previous": 1969, "current": 2000},
        {"table": "indicators", "key": key | {"indicator_code": "THB05"}, "column": "value"}
        | {"previous": 5, "current": None},
        {"table": "indicators", "key": key | {"indicator_code": "THB05"}, "column": "is_reported"}
        | {"previous": True, "current": False},
        {"table": "completeness", "key": key, "column": "versions_received", "previous": 1, "current": 2},
        {
            "table": "findings",
            "key": {"finding_key": "f"},
            "column": "message_en",
            "previous": "a",
            "current": None,
        },
    ]
    english = _body_text(render_html(build_context(edition, "en")))
    russian = _body_text(render_html(build_context(edition, "ru")))
    assert "Figures changed since the edition of Nov 27, 2026, 8:00\u202fAM UTC" in english
    assert "2 values revised; headline figures changed: 1" in english
    assert "пересмотрено 2 значения; изменено основных показателей: 1" in russian
    labels = load_reference().headline_labels("en")
    assert f"{labels['crimes_identified']} — 2,731 * —" in english  # the revised figure marked
    assert f"{labels['persons_brought_to_justice']} — 1,618 —" in english  # an unrevised one not
    assert "* Figure revised since the edition of Nov 27, 2026" in english
    assert f"Headline figures 2014 {labels['crimes_identified']} 2,700 2,731" in english
    assert "States' figures 2014 Russian Federation crimes identified 1,969 2,000" in english
    assert "States' figures 2014 Russian Federation persons convicted 5 —" in english


def test_only_known_languages(edition):
    from programme_monitoring.publishing.council.editions import write_council_report

    with pytest.raises(ValueError, match="expected one of"):
        write_council_report(2014, languages=("de",), output_dir=edition.output_dir)


def test_findings_say_where_their_review_stands(pages):
    """Not every finding "under review": the year's counts by status (resolved ones too) and
    each listed finding's status, in the reader's words."""
    english, russian = _body_text(pages["en"]), _body_text(pages["ru"])
    assert "under review" not in english and "на рассмотрении" not in russian
    assert "The year's findings by status: open — 1; explained by the sender — 1; resolved — 2." in english
    assert "Замечания за год по статусам: открыто — 1; пояснено отправителем — 1; устранено — 2." in russian
    assert (
        "explained by the sender"
        in english.split("The year's findings by status")[1].split("resolved — 2.")[1]
    )
