"""The columns of ``marts.rpt_headline_figures`` and their labels in Russian and English.

The headline figures, their order and their labels are the ``headline_figures`` seed's
(``programme_monitoring.reference``): the dbt model pivots the same seed into the mart's
columns. The mart has two more columns that are not figures of the statement, the year
and the number of reports used; their labels are the publications' own words and live
here, once, for the headline table and the Council report alike.
"""

from __future__ import annotations

from programme_monitoring.reference import load_reference

YEAR_COLUMN = "reporting_year"
REPORTS_USED_COLUMN = "reports_used"
_OWN_LABELS = {
    YEAR_COLUMN: {"en": "Year", "ru": "Год"},
    REPORTS_USED_COLUMN: {"en": "Member-state reports used", "ru": "Использовано отчётов государств"},
}


def headline_labels(lang: str) -> dict[str, str]:
    """Every column of the mart -> its label in ``lang``, in the statement's order: the
    year, the seed's figures, the reports used."""
    return {
        YEAR_COLUMN: _OWN_LABELS[YEAR_COLUMN][lang],
        **load_reference().headline_labels(lang),
        REPORTS_USED_COLUMN: _OWN_LABELS[REPORTS_USED_COLUMN][lang],
    }


def figure_labels(lang: str) -> dict[str, str]:
    """The columns that are figures (all but the year) -> label in ``lang``, in order."""
    return {c: label for c, label in headline_labels(lang).items() if c != YEAR_COLUMN}
