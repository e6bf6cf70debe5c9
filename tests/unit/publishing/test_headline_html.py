"""The headline-figures page, rendered by its Jinja template from mart rows (no database)."""

from __future__ import annotations

from programme_monitoring.publishing.headline import headline_html
from programme_monitoring.publishing.labels import headline_labels
from programme_monitoring.reference import load_reference

ROWS = [
    {c: None for c in headline_labels("en")} | {"reporting_year": 2014, "crimes_identified": 2731},
    {c: 1 for c in headline_labels("en")} | {"reporting_year": 2016, "criminal_groups_terminated": 98},
]


def test_labels_are_the_seed_s_in_both_languages():
    html = headline_html(ROWS)
    reference = load_reference()
    for lang in ("en", "ru"):
        for label in reference.headline_labels(lang).values():
            assert label in html, label
    assert list(headline_labels("en"))[0] == "reporting_year"
    assert list(headline_labels("en"))[-1] == "reports_used"
    assert list(headline_labels("en"))[1:-1] == list(reference.headline_labels("en"))


def test_years_stay_whole_and_figures_are_grouped():
    html = headline_html(ROWS)
    assert "<td>2014</td>" in html and "<td>2016</td>" in html
    assert "<td>2,731</td>" in html and "<td>98</td>" in html
    assert "<td>—</td>" in html  # not reported
    assert html.count("<tr><td>") == 2
