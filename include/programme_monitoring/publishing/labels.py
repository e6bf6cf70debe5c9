"""The columns of ``marts.rpt_headline_figures`` and their labels in Russian and English.

The headline figures, their order and their labels are the ``headline_figures`` seed's
(``programme_monitoring.reference``): the dbt model pivots the same seed into the mart's
columns. The mart's two other columns, the year and the number of reports used, are not
figures of the statement: their labels are the ones the mart documents for BI tools
(``label_en`` / ``label_ru`` in its .yml), read from there, so the headline table, the
Council report and a BI tool say the same words.
"""

from __future__ import annotations

from functools import cache

import yaml

from programme_monitoring.reference import load_reference
from programme_monitoring.settings import DBT_PROJECT_DIR

MART = "rpt_headline_figures"
MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
MART_DOCS = MARTS_DIR / f"{MART}.yml"
YEAR_COLUMN = "reporting_year"
REPORTS_USED_COLUMN = "reports_used"


@cache
def mart_column_labels() -> dict[str, dict[str, str]]:
    """Column -> {"en": ..., "ru": ...} as documented in the mart's .yml."""
    models = yaml.safe_load(MART_DOCS.read_text(encoding="utf-8"))["models"]
    (model,) = [m for m in models if m["name"] == MART]
    return {
        c["name"]: {"en": c["config"]["meta"]["label_en"], "ru": c["config"]["meta"]["label_ru"]}
        for c in model["columns"]
    }


def headline_labels(lang: str) -> dict[str, str]:
    """Every column of the mart -> its label in ``lang``, in the statement's order: the
    year, the seed's figures, the reports used."""
    documented = mart_column_labels()
    return {
        YEAR_COLUMN: documented[YEAR_COLUMN][lang],
        **load_reference().headline_labels(lang),
        REPORTS_USED_COLUMN: documented[REPORTS_USED_COLUMN][lang],
    }


def figure_labels(lang: str) -> dict[str, str]:
    """The columns that are figures (all but the year) -> label in ``lang``, in order."""
    return {c: label for c, label in headline_labels(lang).items() if c != YEAR_COLUMN}


@cache
def column_labels(mart: str) -> dict[str, dict[str, str]]:
    """Column -> {"en": ..., "ru": ...} of any mart, as its .yml documents it (``config.meta``
    or ``meta``); a column without both labels is left out."""
    (docs,) = MARTS_DIR.rglob(f"{mart}.yml")  # marts may sit in sub-folders (urs/, unodc/)
    models = yaml.safe_load(docs.read_text(encoding="utf-8"))["models"]
    (model,) = [m for m in models if m["name"] == mart]
    labels = {}
    for column in model["columns"]:
        meta = {**column.get("meta", {}), **(column.get("config") or {}).get("meta", {})}
        if meta.get("label_en") and meta.get("label_ru"):
            labels[column["name"]] = {"en": meta["label_en"], "ru": meta["label_ru"]}
    return labels
