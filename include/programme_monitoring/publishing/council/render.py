"""The Council report as HTML (Jinja template ``council_report.html.j2``) and PDF (WeasyPrint).

``build_context`` turns an edition's mart rows into what the template shows, in one
language: rows of text cells, every figure and date written by Babel
(``publishing.formatting``), names of states, programmes and indicators from the
dimension marts, headline labels from the seed, every code (severity, rule, breakdown,
programme) in the reader's words (``text``). It selects, pivots and formats only; the
numbers made here are the change of a headline figure from the previous year, the
totals of the summary and the count of revised values. The PDF is rendered from the
same HTML (DejaVu Sans for Cyrillic), so the two never differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from babel import Locale

from programme_monitoring.atomic_files import replacing
from programme_monitoring.publishing import formatting
from programme_monitoring.publishing.council.approval import after_lock, approval
from programme_monitoring.publishing.council.charts import chart_series, chart_states, report_years
from programme_monitoring.publishing.council.queries import MartData
from programme_monitoring.publishing.council.text import BREAKDOWN, PROGRAMME_SHORT, RULES, SEVERITY, TEXT
from programme_monitoring.publishing.council.unodc import comparison as unodc_comparison
from programme_monitoring.publishing.html import TEMPLATES_DIR, render
from programme_monitoring.publishing.labels import figure_labels

if TYPE_CHECKING:
    from programme_monitoring.publishing.council.editions import Edition

TEMPLATE = "council_report.html.j2"
MEASURE_COLUMNS = (
    "measures_due",
    "measures_implemented",
    "measures_in_progress",
    "measures_not_implemented",
    "measures_postponed",
)


def cell(value, lang: str) -> str:
    """A mart value as a table cell: yes/no in words, figures and dates by Babel."""
    if isinstance(value, bool):
        return TEXT[lang]["yes" if value else "no"]
    return formatting.value(value, lang)


def programme_short(code: str, lang: str) -> str:
    return PROGRAMME_SHORT[lang].get(code, code)


def breakdown(disaggregation: str | None, lang: str) -> str:
    """``total`` -> "всего"; ``sex=female`` -> "пол: женщины" (a member without a word stays as given)."""
    words = BREAKDOWN[lang]
    if not disaggregation:
        return formatting.MISSING
    dimension, _, member = disaggregation.partition("=")
    if not member:
        return words.get(dimension, dimension.replace("_", " "))
    return f"{words.get(dimension, dimension.replace('_', ' '))}: {words.get(member, member)}"


def plural(forms: dict[str, str], n: int, lang: str) -> str:
    """``forms[plural category]`` with ``n`` (CLDR plural rules: 1 значение, 2 значения, 5 значений)."""
    category = Locale.parse(lang).plural_form(n)
    return forms.get(category, forms["other"]).format(n=n)


# -- revisions as a reader counts them ------------------------------------------------


def reader_revisions(revisions: list[dict]) -> dict[str, list[dict]]:
    """The revised figures a reader cares about: headline figures, states' indicator values
    and measure counts. Provenance, flags and derived columns (which also change with a
    correction) are in the annex's full list, not counted here."""
    figures = set(figure_labels("en")) - {"reports_used"}
    kinds: dict[str, list[dict]] = {"headline": [], "indicators": [], "implementation": []}
    for rv in revisions:
        if rv["table"] == "headline" and rv["column"] in figures:
            kinds["headline"].append(rv)
        elif rv["table"] == "indicators" and rv["column"] == "value":
            kinds["indicators"].append(rv)
        elif rv["table"] == "implementation" and rv["column"] in MEASURE_COLUMNS:
            kinds["implementation"].append(rv)
    return kinds


def revision_summary(revisions: list[dict], lang: str) -> str:
    """ "2 values revised; headline figures changed: 1" (or the language's words)."""
    kinds = reader_revisions(revisions)
    t = TEXT[lang]
    text = plural(t["revised_values"], len(kinds["indicators"]) + len(kinds["implementation"]), lang)
    if kinds["headline"]:
        text += "; " + t["revised_headline"].format(n=len(kinds["headline"]))
    return text


def revision_rows(edition: Edition, lang: str) -> list[list[str]]:
    """What changed, where, from what to what: one row per revised value."""
    data, t = edition.data, TEXT[lang]
    figures = figure_labels(lang)
    kinds = reader_revisions(edition.revisions)
    measure_words = {
        "measures_due": t["due"],
        "measures_implemented": t["implemented"],
        "measures_in_progress": t["in_progress"],
        "measures_not_implemented": t["not_implemented"],
        "measures_postponed": t["postponed"],
    }
    rows = [
        [t["headline_section"], formatting.year(rv["key"]["reporting_year"]), "", figures[rv["column"]]]
        + [cell(rv["previous"], lang), cell(rv["current"], lang)]
        for rv in kinds["headline"]
    ]
    rows += [
        [t["state_figures"], formatting.year(rv["key"].get("reporting_year"))]
        + [data.name("state", rv["key"].get("state_code"), lang)]
        + [data.name("indicator", rv["key"].get("indicator_code"), lang)]
        + [cell(rv["previous"], lang), cell(rv["current"], lang)]
        for rv in kinds["indicators"]
    ]
    rows += [
        [t["implementation_section"], formatting.year(rv["key"].get("reporting_year"))]
        + [data.name("state", rv["key"].get("state_code"), lang)]
        + [f"{measure_words[rv['column']]} ({programme_short(rv['key'].get('programme_code'), lang)})"]
        + [cell(rv["previous"], lang), cell(rv["current"], lang)]
        for rv in kinds["implementation"]
    ]
    return rows


# -- the summary -----------------------------------------------------------------------


def headline_rows(
    data: MartData, year: int, lang: str, revised: set[tuple[int, str]] = frozenset()
) -> list[dict]:
    """Each headline figure: the previous year, the report's year and the change; whether
    the figure of either year was revised since the last edition."""
    by_year = {r["reporting_year"]: r for r in data.sections["headline"].records()}
    current, previous = by_year.get(year, {}), by_year.get(year - 1, {})
    return [
        {
            "label": label,
            "previous": formatting.count(previous.get(column), lang),
            "current": formatting.count(current.get(column), lang),
            "change": formatting.change(current.get(column), previous.get(column), lang),
            "revised_previous": (year - 1, column) in revised,
            "revised_current": (year, column) in revised,
        }
        for column, label in figure_labels(lang).items()
    ]


def summary_facts(data: MartData, lang: str) -> list[str]:
    """The year in a few sentences: reports received, measures implemented per programme."""
    t = TEXT[lang]
    expected = [r for r in data.sections["completeness"].records() if r["is_expected"]]
    facts = [
        t["reports_received"].format(
            received=formatting.count(sum(1 for r in expected if r["is_received"]), lang),
            expected=formatting.count(len(expected), lang),
            on_time=formatting.count(sum(1 for r in expected if r["reports_on_time"]), lang),
        )
    ]
    totals: dict[str, list[int]] = {}
    for r in data.sections["implementation"].records():
        due, done = totals.setdefault(r["programme_code"], [0, 0])
        totals[r["programme_code"]] = [
            due + (r["measures_due"] or 0),
            done + (r["measures_implemented"] or 0),
        ]
    for code, (due, done) in totals.items():
        facts.append(
            t["implementation_overall"].format(
                programme=programme_short(code, lang),
                implemented=formatting.count(done, lang),
                due=formatting.count(due, lang),
                rate=formatting.rate(done / due if due else None, lang),
            )
        )
    return facts


# -- the sections ----------------------------------------------------------------------


def implementation_tables(data: MartData, lang: str) -> dict[str, list[list[str]]]:
    """Programme -> one row per state: measures due, by status, the rate."""
    tables: dict[str, list[list[str]]] = {}
    records = data.sections["implementation"].records()
    for r in sorted(records, key=lambda r: data.name("state", r["state_code"], lang)):
        tables.setdefault(r["programme_code"], []).append(
            [data.name("state", r["state_code"], lang)]
            + [formatting.count(r[c], lang) for c in MEASURE_COLUMNS]
            + [formatting.rate(r["implementation_rate"], lang)]
        )
    return tables


def indicator_tables(data: MartData, lang: str) -> dict[str, dict]:
    """Programme -> states x indicators (the states' totals)."""
    blocks: dict[str, dict] = {}
    for r in data.sections["indicators"].records():
        block = blocks.setdefault(r["programme_code"], {"codes": [], "states": {}})
        if r["indicator_code"] not in block["codes"]:
            block["codes"].append(r["indicator_code"])
        block["states"].setdefault(r["state_code"], {})[r["indicator_code"]] = r["value"]
    return {
        programme: {
            "header": [_capital(data.name("indicator", c, lang)) for c in block["codes"]],
            "rows": [
                [data.name("state", state, lang)]
                + [formatting.count(values.get(c), lang) for c in block["codes"]]
                for state, values in sorted(
                    block["states"].items(), key=lambda item: data.name("state", item[0], lang)
                )
            ],
        }
        for programme, block in blocks.items()
    }


def completeness(data: MartData, lang: str) -> dict:
    """Who was expected to report, who did, when, and who did not or was late."""
    every = data.sections["completeness"].records()
    every.sort(key=lambda r: (r["programme_code"], data.name("state", r["state_code"], lang)))
    records = [r for r in every if r["is_expected"]]

    def who(r):
        return f"{data.name('state', r['state_code'], lang)} ({programme_short(r['programme_code'], lang)})"

    return {
        "rows": [
            [
                programme_short(r["programme_code"], lang),
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
    }


def finding_text(r: dict, lang: str) -> str:
    """The warehouse's rules in the reader's words with their figures; the intake's own text."""
    rule = RULES[lang].get(r["rule_code"] or "")
    if rule is None:
        return r[f"message_{lang}"] or ""
    return rule.format(
        left=formatting.count(r.get("left_value"), lang), right=formatting.count(r.get("right_value"), lang)
    )


def _status_labels(data: MartData, lang: str) -> dict[str, str]:
    return {
        r["review_status"]: r[f"review_status_label_{lang}"]
        for r in data.sections["finding_statuses"].records()
    }


def findings(data: MartData, lang: str) -> list[list[str]]:
    """The validation findings in the reader's words, each with where its review stands."""
    labels = _status_labels(data, lang)
    return [
        [
            data.name("state", r["state_code"], lang),
            programme_short(r["programme_code"], lang),
            data.name("indicator", r["indicator_code"], lang) if r["indicator_code"] else formatting.MISSING,
            SEVERITY[lang].get(r["severity"] or "", r["severity"] or ""),
            finding_text(r, lang),
            labels.get(r["review_status"], r["review_status"]),
        ]
        for r in data.sections["findings"].records()
    ]


def findings_by_status(data: MartData, lang: str) -> str:
    """How many of the year's findings are open, queried, explained, confirmed, resolved,
    dismissed (those a correction resolved included, though no longer listed)."""
    counts = [
        f"{r[f'review_status_label_{lang}']} — {formatting.count(r['findings'], lang)}"
        for r in data.sections["finding_statuses"].records()
    ]
    return TEXT[lang]["findings_by_status"].format(counts="; ".join(counts)) if counts else ""


def not_reported(data: MartData, lang: str) -> list[list[str]]:
    return [
        [
            data.name("state", r["state_code"], lang),
            programme_short(r["programme_code"], lang),
            data.name("indicator", r["indicator_code"], lang),
            breakdown(r["disaggregation"], lang),
        ]
        for r in data.sections["not_reported"].records()
    ]


def coverage(data: MartData, lang: str, years: list[int]) -> dict:
    """Per headline figure and year: how many states and which programmes' reports make it
    up; a note for every figure whose composition changes within ``years``."""
    t = TEXT[lang]
    labels = figure_labels(lang)
    parts: dict[tuple[str, int], dict[str, int]] = {}
    for r in data.sections["coverage"].records():
        if r["reporting_year"] in years and r["states_reporting"]:
            programmes = parts.setdefault((r["headline_column"], r["reporting_year"]), {})
            programmes[r["programme_code"]] = max(
                programmes.get(r["programme_code"], 0), r["states_reporting"]
            )
    rows, notes, changing = [], [], []
    breaks: dict[str, set[int]] = {}
    for column, label in labels.items():
        if column == "reports_used":
            continue
        cells, periods = [], []
        for y in years:
            programmes = parts.get((column, y), {})
            states = max(programmes.values(), default=0)
            names = ", ".join(programme_short(c, lang) for c in sorted(programmes))
            cells.append(t["coverage_cell"].format(states=states, programmes=names) if programmes else "—")
            composition = tuple(sorted(programmes))
            if composition and (not periods or periods[-1][2] != composition):
                if periods:
                    breaks.setdefault(column, set()).add(y)
                periods.append([y, y, composition])
            elif composition:
                periods[-1][1] = y
        rows.append([label, *cells])
        if len(periods) > 1:
            changing.append(label)
            spans = "; ".join(
                f"{formatting.year(a)}{'' if a == b else '–' + formatting.year(b)}: "
                + ", ".join(programme_short(c, lang) for c in composition)
                for a, b, composition in periods
            )
            notes.append(t["coverage_changes"].format(figure=label, periods=spans))
    quoted = ", ".join(t["quote"].format(text=label) for label in changing)
    return {
        "years": [formatting.year(y) for y in years],
        "rows": rows,
        "notes": notes,
        "breaks": breaks,
        "summary": t["coverage_summary"].format(figures=quoted) if changing else t["coverage_none"],
    }


def build_context(edition: Edition, lang: str) -> dict:
    """Everything the template shows, in ``lang``."""
    t, year, data = TEXT[lang], edition.year, edition.data
    as_of = formatting.timestamp(data.as_of, lang)
    years = report_years(data, year)
    comparability = coverage(data, lang, years)
    revised_headline = {
        (rv["key"]["reporting_year"], rv["column"]) for rv in reader_revisions(edition.revisions)["headline"]
    }
    reports = len({v["report_id"] for v in data.report_versions if v["reporting_year"] == year})
    return {
        "lang": lang,
        "t": t,
        "year": year,
        "title": t["title"].format(year=year),
        "generated": formatting.timestamp(edition.generated_at, lang),
        "edition_date": formatting.date(_date(edition.generated_at), lang),
        "as_of": as_of,
        "synthetic": data.synthetic,
        "synthetic_text": t[
            "synthetic_text" if data.synthetic_reports == data.reports else "synthetic_some"
        ].format(
            n=formatting.count(data.synthetic_reports, lang), total=formatting.count(data.reports, lang)
        ),
        "source_short": t["source_short"].format(n=formatting.count(reports, lang)),
        "source_note": t["source_note"].format(as_of=as_of, n=formatting.count(reports, lang)),
        "headline": headline_rows(data, year, lang, revised_headline),
        "summary_facts": summary_facts(data, lang),
        "implementation": implementation_tables(data, lang),
        "indicator_tables": indicator_tables(data, lang),
        "completeness": completeness(data, lang),
        "findings": findings(data, lang),
        "findings_by_status": findings_by_status(data, lang),
        "not_reported": not_reported(data, lang),
        "coverage": comparability,
        "revisions": revision_rows(edition, lang),
        "revision_summary": revision_summary(edition.revisions, lang),
        "previous_edition": edition.previous_edition and formatting.timestamp(edition.previous_edition, lang),
        "programme": lambda code: data.name("programme", code, lang),
        "chart_series": chart_series(data.sections["headline"], lang, year, years, comparability["breaks"]),
        "chart_states": chart_states(data, lang, year),
        "unodc": unodc_comparison(data, lang),
        "approval": approval(data, lang),
        "after_lock": after_lock(data, year, lang),
    }


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _date(moment: str):
    import datetime as dt

    return dt.datetime.fromisoformat(moment).astimezone(dt.UTC).date()


def render_html(context: dict) -> str:
    return render(TEMPLATE, **context)


def write_pdf(html: str, target: Path) -> None:
    import weasyprint

    with replacing(target) as temporary:
        weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf(temporary)
