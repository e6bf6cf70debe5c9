"""Comparing an edition with the previous one (as ``edition.json`` stored it), without a database."""

from __future__ import annotations

import json

from programme_monitoring.publishing.council.editions import compare_editions, stored_figures


def _stored(sections) -> dict:
    return json.loads(json.dumps({"figures": stored_figures(sections)}))


def test_same_figures_are_not_revisions(edition):
    assert compare_editions(_stored(edition.sections), edition.sections) == []


def test_changed_added_and_removed_figures_are_listed(edition):
    previous = _stored(edition.sections)
    headline = previous["figures"]["headline"]
    headline["rows"][0][headline["columns"].index("crimes_identified")] = 2700
    indicators = previous["figures"]["indicators"]
    indicators["rows"] = [r for r in indicators["rows"] if r[0] != "KZ"]
    completeness = previous["figures"]["completeness"]
    completeness["rows"][0][completeness["columns"].index("source_file")] = "other.xlsx"  # provenance
    revised = compare_editions(previous, edition.sections)
    assert {"table": "headline", "key": {"reporting_year": 2014}, "column": "crimes_identified"} | {
        "previous": 2700,
        "current": 2731,
    } in revised
    kz = [r for r in revised if r["table"] == "indicators"]
    assert {r["column"]: (r["previous"], r["current"]) for r in kz} == {
        "value": (None, 731),
        "is_reported": (None, True),
    }
    assert len(revised) == 3  # provenance (source file, report, comment) is never a revision


def test_a_column_the_previous_edition_lacked_is_not_a_revision(edition):
    previous = _stored(edition.sections)
    headline = previous["figures"]["headline"]
    i = headline["columns"].index("reports_used")
    headline["columns"].pop(i)
    for row in headline["rows"]:
        row.pop(i)
    assert compare_editions(previous, edition.sections) == []
