"""The Council report as HTML (Jinja template ``council_report.html.j2``) and PDF (WeasyPrint).

``build_context`` turns an edition's mart rows into what the template shows, in one
language: rows of text cells, every figure and date written by Babel
(``publishing.formatting``), names of states, programmes and indicators from the
dimension marts, headline labels from the seed. It selects, pivots and formats only; the
one number made here is the change of a headline figure from the previous year. The
PDF is rendered from the same HTML (DejaVu Sans for Cyrillic), so the two never differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from programme_monitoring.publishing import formatting
from programme_monitoring.publishing.council.charts import chart_series, chart_states
from programme_monitoring.publishing.council.queries import MartData
from programme_monitoring.publishing.council.text import TEXT
from programme_monitoring.publishing.council.unodc import comparison as unodc_comparison
from programme_monitoring.publishing.html import TEMPLATES_DIR, render
from programme_monitoring.publishing.labels import figure_labels

if TYPE_CHECKING:
    from programme_monitoring.publishing.council.editions import Edition

TEMPLATE = "council_report.html.j2"


def cell(value, lang: str) -> str:
    """A mart value as a table cell: yes/no in words, figures and dates by Babel."""
    if isinstance(value, bool):
        return TEXT[lang]["yes" if value else "no"]
    return formatting.value(value, lang)


def headline_rows(data: MartData, year: int, lang: str) -> list[dict]:
    """Each headline figure: the previous year, the report's year and the change."""
    by_year = {r["reporting_year"]: r for r in data.sections["headline"].records()}
    current, previous = by_year.get(year, {}), by_year.get(year - 1, {})
    return [
        {
            "label": label,
            "previous": formatting.count(previous.get(column), lang),
            "current": formatting.count(current.get(column), lang),
            "change": formatting.change(current.get(column), previous.get(column), lang),
        }
        for column, label in figure_labels(lang).items()
    ]


def implementation_tables(data: MartData, lang: str) -> dict[str, list[list[str]]]:
    """Programme -> one row per state: measures due, by status, the rate, the report."""
    tables: dict[str, list[list[str]]] = {}
    for r in data.sections["implementation"].records():
        tables.setdefault(r["programme_code"], []).append(
            [
                data.name("state", r["state_code"], lang),
                *(
                    formatting.count(r[c], lang)
                    for c in (
                        "measures_due",
                        "measures_implemented",
                        "measures_in_progress",
                        "measures_not_implemented",
                        "measures_postponed",
                    )
                ),
                formatting.rate(r["implementation_rate"], lang),
                r["source_file"],
            ]
        )
    return tables


def indicator_tables(data: MartData, lang: str) -> dict[str, dict]:
    """Programme -> states x indicators (the states' totals), with the reports used."""
    blocks: dict[str, dict] = {}
    for r in data.sections["indicators"].records():
        block = blocks.setdefault(r["programme_code"], {"codes": [], "states": {}, "files": set()})
        if r["indicator_code"] not in block["codes"]:
            block["codes"].append(r["indicator_code"])
        block["states"].setdefault(r["state_code"], {})[r["indicator_code"]] = r["value"]
        block["files"].add(r["source_file"])
    return {
        programme: {
            "header": [f"{c}: {data.name('indicator', c, lang)}" for c in block["codes"]],
            "rows": [
                [data.name("state", state, lang)]
                + [formatting.count(values.get(c), lang) for c in block["codes"]]
                for state, values in sorted(block["states"].items())
            ],
            "files": sorted(block["files"]),
        }
        for programme, block in blocks.items()
    }


def completeness(data: MartData, lang: str) -> dict:
    """Who was expected to report, who did, when, and who did not or was late."""
    every = data.sections["completeness"].records()
    records = [r for r in every if r["is_expected"]]

    def who(r):
        return f"{data.name('state', r['state_code'], lang)} ({r['programme_code']})"

    return {
        "rows": [
            [
                r["programme_code"],
                data.name("state", r["state_code"], lang),
                cell(r["is_received"], lang),
                formatting.date(r["report_deadline"], lang),
                formatting.date(r["first_submission_date"], lang),
                cell(None if r["reports_on_time"] is None else bool(r["reports_on_time"]), lang),
            ]
            for r in records
        ],
        "missing": [who(r) for r in records if r["is_received"] is False],
        "late": [who(r) for r in every if r["is_received"] and r["reports_on_time"] == 0],
        "files": data.sections["completeness"].source_files(),
    }


def findings(data: MartData, lang: str) -> list[list[str]]:
    """The validation findings under review, with the message in ``lang``."""
    return [
        [
            data.name("state", r["state_code"], lang),
            r["programme_code"],
            r["indicator_code"] or "",
            r["severity"] or "",
            r["rule_code"] or "",
            r[f"message_{lang}"] or "",
            r["source_file"] or "",
        ]
        for r in data.sections["findings"].records()
    ]


def not_reported(data: MartData, lang: str) -> list[list[str]]:
    return [
        [
            data.name("state", r["state_code"], lang),
            r["programme_code"],
            r["indicator_code"],
            r["disaggregation"],
            r["source_file"],
        ]
        for r in data.sections["not_reported"].records()
    ]


def revisions(edition: Edition, lang: str) -> list[list[str]]:
    return [
        [
            rv["table"],
            ", ".join(f"{k}={v}" for k, v in rv["key"].items()),
            rv["column"],
            cell(rv["previous"], lang),
            cell(rv["current"], lang),
        ]
        for rv in edition.revisions
    ]


def build_context(edition: Edition, lang: str) -> dict:
    """Everything the template shows, in ``lang``."""
    t, year, data = TEXT[lang], edition.year, edition.data
    as_of = formatting.timestamp(data.as_of, lang)
    return {
        "lang": lang,
        "t": t,
        "year": year,
        "title": t["title"].format(year=year),
        "generated": formatting.timestamp(edition.generated_at, lang),
        "headline": headline_rows(data, year, lang),
        "headline_files": sorted(
            {v["source_file"] for v in data.report_versions if v["reporting_year"] in (year, year - 1)}
        ),
        "implementation": implementation_tables(data, lang),
        "indicator_tables": indicator_tables(data, lang),
        "completeness": completeness(data, lang),
        "findings": findings(data, lang),
        "not_reported": not_reported(data, lang),
        "revisions": revisions(edition, lang),
        "previous_edition": edition.previous_edition and formatting.timestamp(edition.previous_edition, lang),
        "programme": lambda code: data.name("programme", code, lang),
        "versions_note": lambda files: t["versions"].format(n=len(files), files=", ".join(files) or "—"),
        "as_of_note": lambda source: t["as_of"].format(as_of=as_of, source=source),
        "chart_series": chart_series(data.sections["headline"], lang, year),
        "chart_states": chart_states(data, lang, year),
        "implementation_files": data.sections["implementation"].source_files(),
        "not_reported_files": data.sections["not_reported"].source_files(),
        "findings_files": data.sections["findings"].source_files(),
        "unodc": unodc_comparison(data, lang),
    }


def render_html(context: dict) -> str:
    return render(TEMPLATE, **context)


def write_pdf(html: str, target: Path) -> None:
    import weasyprint

    weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf(target)
