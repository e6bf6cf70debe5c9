"""The yearly report on implementation for the Council of Heads of State.

One edition per reporting year, in Russian (primary) and English with the same
figures: ``{ru,en}.pdf`` (WeasyPrint, DejaVu Sans for Cyrillic), ``{ru,en}.html`` (the
same HTML the PDF is rendered from, charts embedded), ``annex.xlsx`` (every table, as
the mart rows) and ``edition.json`` (the figures used, the as-of date and the report
versions, so that a published edition can be reproduced and compared later).

Every figure is read from the marts; this module only selects, pivots and formats.
The one number written here that is not a mart value is the change of a headline
figure from the previous year (the difference of two mart values, shown beside them).
Sections whose mart is not in the warehouse build (completeness, validation findings)
say so instead of being computed another way. "Revised since the last edition"
compares the figures with those stored in the previous edition's ``edition.json``.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from programme_monitoring.publishing.headline import HEADLINE_LABELS
from programme_monitoring.settings import paths
from programme_monitoring.warehouse.connection import connect

LANGUAGES = ("ru", "en")
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FORMULA_PREFIXES = ("=", "+", "-", "@")

HEADLINE_COLUMNS = [c for c in HEADLINE_LABELS if c not in ("reporting_year",)]
# The figures of the Executive Committee's statement, drawn as a time series.
SERIES_COLUMNS = [
    "crimes_identified",
    "persons_brought_to_justice",
    "criminal_groups_terminated",
    "migration_channels_blocked",
]
# Indicators drawn state by state for the year (the states' own totals, side by side).
STATE_CHART_INDICATORS = ["THB01", "IM01", "CR01", "IM02"]

# Provenance columns: never compared as figures between editions.
PROVENANCE = {
    "report_id",
    "source_file",
    "source_files",
    "source_sheet",
    "source_row",
    "comment",
    "finding_key",
}


@dataclass
class Section:
    """One table of the report: the rows of one mart query, as the annex sheet holds them."""

    key: str  # annex sheet name
    mart: str  # marts.<name>
    sql: str
    key_columns: list[str]
    available: bool = True
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def source_files(self) -> list[str]:
        if "source_file" not in self.columns:
            return []
        i = self.columns.index("source_file")
        return sorted({r[i] for r in self.rows if r[i]})


@dataclass
class Edition:
    year: int
    as_of: str | None
    generated_at: str
    sections: dict[str, Section]
    report_versions: list[dict]
    revisions: list[dict]
    previous_edition: str | None
    output_dir: Path
    files: dict[str, Path] = field(default_factory=dict)


# -- reading the marts --------------------------------------------------------


def mart_columns(conn, name: str) -> list[str]:
    """Columns of marts.<name> in order; empty when the mart is not in this warehouse build."""
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = %s order by ordinal_position",
        (name,),
    ).fetchall()
    return [r[0] for r in rows]


def _select(conn, section: Section, params: dict) -> Section:
    cursor = conn.execute(section.sql, params)
    section.columns = [c.name for c in cursor.description]
    section.rows = [tuple(r) for r in cursor.fetchall()]
    return section


def _optional_section(
    conn, key: str, mart: str, wanted: list[str], where: list[str], order: list[str], key_columns: list[str]
) -> Section:
    """A section from a mart another part of the project adds: read it when it exists."""
    present = mart_columns(conn, mart)
    if not present:
        return Section(key, mart, "", key_columns, available=False)
    columns = [c for c in wanted if c in present] or present
    conditions = [w for w in where if w.split()[0] in present]
    sql = f"select {', '.join(columns)} from marts.{mart}"
    if conditions:
        sql += " where " + " and ".join(conditions)
    ordering = [c for c in order if c in present]
    if ordering:
        sql += " order by " + ", ".join(ordering)
    return Section(key, mart, sql, [k for k in key_columns if k in columns])


def section_queries(conn) -> dict[str, Section]:
    """The report's tables, each one mart query with the year as parameter %(year)s."""
    sections = {
        "headline": Section(
            "headline",
            "rpt_headline_figures",
            "select * from marts.rpt_headline_figures order by reporting_year",
            ["reporting_year"],
        ),
        "implementation": Section(
            "implementation",
            "rpt_programme_implementation",
            "select * from marts.rpt_programme_implementation where reporting_year = %(year)s "
            "order by programme_code, state_code",
            ["state_code", "programme_code", "reporting_year"],
        ),
        "indicators": Section(
            "indicators",
            "fct_indicator_values",
            "select state_code, programme_code, reporting_year, indicator_code, value, is_reported, comment, "
            "report_id, source_file, report_version from marts.fct_indicator_values "
            "where reporting_year = %(year)s and disaggregation = 'total' "
            "order by programme_code, indicator_code, state_code",
            ["state_code", "programme_code", "reporting_year", "indicator_code"],
        ),
        "not_reported": Section(
            "not_reported",
            "fct_indicator_values",
            "select state_code, programme_code, reporting_year, indicator_code, disaggregation, comment, "
            "report_id, source_file, report_version from marts.fct_indicator_values "
            "where reporting_year = %(year)s and not is_reported "
            "order by programme_code, state_code, indicator_code, disaggregation",
            ["state_code", "programme_code", "reporting_year", "indicator_code", "disaggregation"],
        ),
    }
    sections["completeness"] = _optional_section(
        conn,
        "completeness",
        "rpt_reporting_completeness",
        [
            "state_code",
            "programme_code",
            "reporting_year",
            "is_expected",
            "is_received",
            "report_deadline",
            "first_submission_date",
            "reports_on_time",
            "versions_received",
            "report_id",
            "source_file",
        ],
        ["reporting_year = %(year)s"],
        ["programme_code", "state_code"],
        ["state_code", "programme_code", "reporting_year"],
    )
    sections["findings"] = _optional_section(
        conn,
        "findings",
        "rpt_validation_findings",
        [
            "finding_key",
            "state_code",
            "programme_code",
            "reporting_year",
            "indicator_code",
            "severity",
            "rule_code",
            "message_ru",
            "message_en",
            "report_id",
            "source_file",
            "source_row",
        ],
        ["reporting_year = %(year)s"],
        ["programme_code", "state_code", "severity", "rule_code", "indicator_code", "finding_key"],
        ["finding_key"],
    )
    return sections


REPORT_VERSIONS_SQL = """
select distinct reporting_year, state_code, programme_code, source_file, report_id, report_version
from marts.fct_indicator_values
union
select distinct reporting_year, state_code, programme_code, source_file, report_id, report_version
from marts.fct_measure_implementation
order by reporting_year, programme_code, state_code, report_version
"""


def read_edition_data(year: int) -> tuple[dict[str, Section], list[dict], str | None, dict]:
    """All tables, the report versions behind them, the as-of date and the names of states etc."""
    with connect() as conn:
        sections = section_queries(conn)
        for section in sections.values():
            if section.available:
                _select(conn, section, {"year": year})
        cursor = conn.execute(REPORT_VERSIONS_SQL)
        names = [c.name for c in cursor.description]
        versions = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        # As of: the last load among the reports the marts were built from.
        (as_of,) = conn.execute(
            "select max(h.loaded_at) from raw.report_headers h where h.report_id in "
            "(select report_id from marts.fct_indicator_values "
            " union select report_id from marts.fct_measure_implementation)"
        ).fetchone()
        labels = {
            "state": {
                r[0]: {"ru": r[1], "en": r[2]}
                for r in conn.execute(
                    "select state_code, state_name_ru, state_name_en from marts.dim_member_state"
                )
            },
            "programme": {
                r[0]: {"ru": r[1], "en": r[2]}
                for r in conn.execute(
                    "select programme_code, programme_title_ru, programme_title_en from marts.dim_programme"
                )
            },
            "indicator": {
                r[0]: {"ru": r[1], "en": r[2]}
                for r in conn.execute(
                    "select indicator_code, indicator_name_ru, indicator_name_en from marts.dim_indicator"
                )
            },
        }
    return sections, versions, (as_of.isoformat() if as_of else None), labels


# -- editions: stored figures and revisions -----------------------------------


def _plain(value):
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _figures(sections: dict[str, Section]) -> dict:
    return {
        key: {
            "mart": s.mart,
            "available": s.available,
            "sql": s.sql,
            "key_columns": s.key_columns,
            "columns": s.columns,
            "rows": [[_plain(v) for v in row] for row in s.rows],
        }
        for key, s in sections.items()
    }


def compare_editions(previous: dict, sections: dict[str, Section]) -> list[dict]:
    """Figures whose value differs from the one the previous edition published."""
    revisions = []
    for key, section in sections.items():
        old = previous.get("figures", {}).get(key)
        if not old or not section.available or not old.get("rows"):
            continue
        keys = [k for k in section.key_columns if k in old["columns"]]
        if not keys:
            continue

        def index(columns, rows, keys=keys):
            return {
                tuple(r[columns.index(k)] for k in keys): dict(zip(columns, r, strict=True)) for r in rows
            }

        before = index(old["columns"], old["rows"])
        after = index(section.columns, [[_plain(v) for v in row] for row in section.rows])
        for row_key in sorted(set(before) | set(after), key=str):
            a, b = before.get(row_key), after.get(row_key)
            for column in section.columns:
                if column in keys or column in PROVENANCE or column == "report_version":
                    continue
                old_value = a.get(column) if a else None
                new_value = b.get(column) if b else None
                if a is not None and b is not None and column not in a:
                    continue
                if old_value != new_value:
                    revisions.append(
                        {
                            "table": key,
                            "key": dict(zip(keys, row_key, strict=True)),
                            "column": column,
                            "previous": old_value,
                            "current": new_value,
                        }
                    )
    return revisions


# -- formatting ----------------------------------------------------------------


def fmt(value, lang: str, rate: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return TEXT[lang]["yes"] if value else TEXT[lang]["no"]
    if rate:
        percent = f"{float(value) * 100:.1f}"
        return (percent.replace(".", ",") if lang == "ru" else percent) + "\u00a0%"
    if isinstance(value, int):
        text = f"{value:,}"
        return text.replace(",", "\u202f") if lang == "ru" else text
    if isinstance(value, decimal.Decimal | float):
        text = f"{value:,}"
        return text.replace(",", "\u202f").replace(".", ",") if lang == "ru" else text
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value)


def _change(current, previous, lang: str) -> str:
    if current is None or previous is None:
        return "—"
    delta = current - previous
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    return sign + fmt(abs(delta), lang)


TEXT = {
    "ru": {
        "title": "Доклад о ходе выполнения межгосударственных программ СНГ за {year} год",
        "subtitle": "Совету глав государств Содружества Независимых Государств",
        "yes": "да",
        "no": "нет",
        "as_of": "Данные по состоянию на {as_of}; источник: {source}.",
        "versions": "Использованные версии отчётов ({n}): {files}.",
        "generated": "Издание подготовлено {generated}.",
        "headline": "Основные показатели за {year} год",
        "figure": "Показатель",
        "previous": "{year} год",
        "current": "{year} год",
        "change": "Изменение",
        "implementation": "Выполнение мероприятий программ по государствам",
        "state": "Государство",
        "due": "Мероприятий со сроком в году",
        "implemented": "Выполнено",
        "in_progress": "Выполняется",
        "not_implemented": "Не выполнено",
        "postponed": "Перенесено",
        "rate": "Доля выполненных",
        "report": "Версия отчёта",
        "indicators": "Показатели по государствам",
        "completeness": "Полнота и своевременность представления отчётов",
        "programme": "Программа",
        "received": "Представлен",
        "deadline": "Срок",
        "submitted": "Дата представления",
        "on_time": "В срок",
        "not_received": "Не представили отчёт",
        "late": "Представили с опозданием",
        "none": "нет",
        "not_available": "Раздел недоступен в данной сборке хранилища (витрина marts.{mart} отсутствует).",
        "quality": "Замечания о качестве данных",
        "findings": "Замечания проверок на рассмотрении (предупреждения и ошибки)",
        "no_findings": "Замечаний нет.",
        "severity": "Уровень",
        "rule": "Правило",
        "message": "Описание",
        "indicator": "Показатель",
        "not_reported": "Сведения не представлены",
        "no_not_reported": "Все показатели представлены.",
        "disaggregation": "Разбивка",
        "revisions": "Изменения по сравнению с предыдущим изданием",
        "no_previous": "Предыдущего издания нет: это первое издание за данный год.",
        "no_revisions": "Показатели не изменились по сравнению с изданием от {previous}.",
        "revisions_since": "Изменённые показатели по сравнению с изданием от {previous}:",
        "table": "Таблица",
        "row": "Строка",
        "column": "Графа",
        "was": "Было",
        "now": "Стало",
        "charts": "Диаграммы",
        "series_title": "Основные показатели за период программ",
        "states_title": "Показатели государств за {year} год",
        "annex": "Все таблицы доклада приведены в приложении annex.xlsx.",
        "illustrative": "Перечень мероприятий программ иллюстративный (тексты мероприятий не опубликованы).",
    },
    "en": {
        "title": "Report on the implementation of the CIS inter-state programmes in {year}",
        "subtitle": "To the Council of Heads of State of the Commonwealth of Independent States",
        "yes": "yes",
        "no": "no",
        "as_of": "Data as of {as_of}; source: {source}.",
        "versions": "Report versions used ({n}): {files}.",
        "generated": "Edition prepared {generated}.",
        "headline": "Headline figures for {year}",
        "figure": "Figure",
        "previous": "{year}",
        "current": "{year}",
        "change": "Change",
        "implementation": "Implementation of programme measures by state",
        "state": "State",
        "due": "Measures due in the year",
        "implemented": "Implemented",
        "in_progress": "In progress",
        "not_implemented": "Not implemented",
        "postponed": "Postponed",
        "rate": "Implementation rate",
        "report": "Report version",
        "indicators": "Indicators by state",
        "completeness": "Completeness and timeliness of reporting",
        "programme": "Programme",
        "received": "Received",
        "deadline": "Deadline",
        "submitted": "Submitted",
        "on_time": "On time",
        "not_received": "Did not report",
        "late": "Reported late",
        "none": "none",
        "not_available": "Not available in this warehouse build (the mart marts.{mart} is missing).",
        "quality": "Data-quality notes",
        "findings": "Validation findings under review (warnings and errors)",
        "no_findings": "No findings.",
        "severity": "Severity",
        "rule": "Rule",
        "message": "Description",
        "indicator": "Indicator",
        "not_reported": "Figures not reported",
        "no_not_reported": "Every figure was reported.",
        "disaggregation": "Breakdown",
        "revisions": "Figures revised since the last edition",
        "no_previous": "No earlier edition: this is the first edition for the year.",
        "no_revisions": "No figure changed since the edition of {previous}.",
        "revisions_since": "Figures changed since the edition of {previous}:",
        "table": "Table",
        "row": "Row",
        "column": "Column",
        "was": "Was",
        "now": "Now",
        "charts": "Charts",
        "series_title": "Headline figures over the programme period",
        "states_title": "States' figures for {year}",
        "annex": "Every table of the report is in the annex annex.xlsx.",
        "illustrative": "The programme measure registry is illustrative (the measure texts are not public).",
    },
}


# -- charts ----------------------------------------------------------------------


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def chart_series(headline: Section, lang: str, year: int) -> str:
    """Headline figures per year over the programme period (rpt_headline_figures), the
    report's year marked."""
    plt = _pyplot()
    records = headline.records()
    years = [r["reporting_year"] for r in records]
    figure, panes = plt.subplots(1, 2, figsize=(10, 3.4))
    for pane, columns in zip(panes, (SERIES_COLUMNS[:2], SERIES_COLUMNS[2:]), strict=True):
        for column in columns:
            label = HEADLINE_LABELS[column][0 if lang == "en" else 1]
            pane.plot(years, [r[column] for r in records], marker="o", label=label)
        pane.axvline(year, color="#999", linestyle="--", linewidth=1)
        pane.set_xticks(years)
        pane.set_ylim(bottom=0)
        pane.grid(alpha=0.3)
        pane.legend(fontsize=6.5, loc="lower left")
    figure.suptitle(TEXT[lang]["series_title"])
    return _png(figure)


def chart_states(indicators: Section, labels: dict, lang: str, year: int) -> str:
    """The states' own totals of a few indicators, side by side (fct_indicator_values)."""
    plt = _pyplot()
    records = [r for r in indicators.records() if r["indicator_code"] in STATE_CHART_INDICATORS]
    states = sorted({r["state_code"] for r in records})
    value = {(r["state_code"], r["indicator_code"]): r["value"] for r in records}
    figure, panes = plt.subplots(1, 2, figsize=(10, 3.4))
    for pane, codes in zip(panes, (STATE_CHART_INDICATORS[:2], STATE_CHART_INDICATORS[2:]), strict=True):
        width = 0.8 / len(codes)
        for i, code in enumerate(codes):
            xs = [s + i * width for s in range(len(states))]
            ys = [value.get((state, code)) or 0 for state in states]  # not reported: no bar
            name = labels["indicator"].get(code, {}).get(lang, code)
            pane.bar(xs, ys, width=width, label=f"{code}: {name}")
        pane.set_xticks([s + 0.4 - width / 2 for s in range(len(states))], states)
        pane.grid(axis="y", alpha=0.3)
        pane.legend(fontsize=6.5, loc="upper left")
    figure.suptitle(TEXT[lang]["states_title"].format(year=year))
    return _png(figure)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "DejaVu Sans"
    return plt


# -- the HTML --------------------------------------------------------------------


def _timestamp(iso: str | None) -> str:
    if not iso:
        return "—"
    moment = dt.datetime.fromisoformat(iso).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _versions_note(files: list[str], lang: str) -> str:
    return TEXT[lang]["versions"].format(n=len(files), files=", ".join(files) if files else "—")


def build_context(edition: Edition, labels: dict, lang: str) -> dict:
    t = TEXT[lang]
    year = edition.year
    s = edition.sections
    headline_rows = {r["reporting_year"]: r for r in s["headline"].records()}
    current, previous = headline_rows.get(year, {}), headline_rows.get(year - 1, {})
    headline_files = sorted(
        {v["source_file"] for v in edition.report_versions if v["reporting_year"] in (year, year - 1)}
    )
    headline = [
        {
            "label": HEADLINE_LABELS[c][0 if lang == "en" else 1],
            "previous": fmt(previous.get(c), lang),
            "current": fmt(current.get(c), lang),
            "change": _change(current.get(c), previous.get(c), lang),
        }
        for c in HEADLINE_COLUMNS
    ]

    def state(code):
        return labels["state"].get(code, {}).get(lang, code)

    def programme(code):
        return labels["programme"].get(code, {}).get(lang, code)

    implementation = {}
    for r in s["implementation"].records():
        implementation.setdefault(r["programme_code"], []).append(
            [
                state(r["state_code"]),
                fmt(r["measures_due"], lang),
                fmt(r["measures_implemented"], lang),
                fmt(r["measures_in_progress"], lang),
                fmt(r["measures_not_implemented"], lang),
                fmt(r["measures_postponed"], lang),
                fmt(r["implementation_rate"], lang, rate=True),
                r["source_file"],
            ]
        )

    indicators = {}
    for r in s["indicators"].records():
        block = indicators.setdefault(r["programme_code"], {"codes": [], "states": {}})
        if r["indicator_code"] not in block["codes"]:
            block["codes"].append(r["indicator_code"])
        block["states"].setdefault(r["state_code"], {})[r["indicator_code"]] = r["value"]
    indicator_tables = {
        code: {
            "header": [f"{c}: {labels['indicator'].get(c, {}).get(lang, c)}" for c in block["codes"]],
            "rows": [
                [state(st)] + [fmt(values.get(c), lang) for c in block["codes"]]
                for st, values in sorted(block["states"].items())
            ],
            "files": sorted(
                {r["source_file"] for r in s["indicators"].records() if r["programme_code"] == code}
            ),
        }
        for code, block in indicators.items()
    }

    completeness = None
    if s["completeness"].available:
        records = s["completeness"].records()
        completeness = {
            "rows": [
                [
                    r.get("programme_code"),
                    state(r.get("state_code")),
                    fmt(r.get("is_received"), lang),
                    fmt(r.get("report_deadline"), lang),
                    fmt(r.get("first_submission_date"), lang),
                    fmt(None if r.get("reports_on_time") is None else bool(r["reports_on_time"]), lang),
                ]
                for r in records
                if r.get("is_expected", True)
            ],
            "missing": [
                f"{state(r['state_code'])} ({r['programme_code']})"
                for r in records
                if r.get("is_expected", True) and r.get("is_received") is False
            ],
            "late": [
                f"{state(r['state_code'])} ({r['programme_code']})"
                for r in records
                if r.get("is_received") and r.get("reports_on_time") == 0
            ],
            "files": s["completeness"].source_files(),
        }

    findings = None
    if s["findings"].available:
        findings = [
            [
                state(r.get("state_code")),
                r.get("programme_code"),
                r.get("indicator_code") or "",
                r.get("severity") or "",
                r.get("rule_code") or "",
                r.get(f"message_{lang}") or "",
                r.get("source_file") or "",
            ]
            for r in s["findings"].records()
        ]

    not_reported = [
        [
            state(r["state_code"]),
            r["programme_code"],
            r["indicator_code"],
            r["disaggregation"],
            r["source_file"],
        ]
        for r in s["not_reported"].records()
    ]
    revisions = [
        [
            rv["table"],
            ", ".join(f"{k}={v}" for k, v in rv["key"].items()),
            rv["column"],
            fmt(rv["previous"], lang),
            fmt(rv["current"], lang),
        ]
        for rv in edition.revisions
    ]
    return {
        "lang": lang,
        "t": t,
        "year": year,
        "title": t["title"].format(year=year),
        "as_of": edition.as_of,
        "generated_at": edition.generated_at,
        "timestamp": _timestamp,
        "headline": headline,
        "headline_files": headline_files,
        "implementation": implementation,
        "indicator_tables": indicator_tables,
        "completeness": completeness,
        "findings": findings,
        "not_reported": not_reported,
        "revisions": revisions,
        "previous_edition": edition.previous_edition,
        "programme": programme,
        "versions_note": lambda files: _versions_note(files, lang),
        "as_of_note": lambda source: t["as_of"].format(as_of=_timestamp(edition.as_of), source=source),
        "chart_series": chart_series(s["headline"], lang, year),
        "chart_states": chart_states(s["indicators"], labels, lang, year),
        "implementation_files": s["implementation"].source_files(),
        "not_reported_files": s["not_reported"].source_files(),
        "findings_files": s["findings"].source_files() if s["findings"].available else [],
    }


def render_html(context: dict) -> str:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template("council_report.html.j2").render(**context)


def write_pdf(html: str, target: Path) -> None:
    import weasyprint

    weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf(target)


# -- the annex -------------------------------------------------------------------


def excel_value(value):
    """A value as the annex stores it: numbers stay numbers, dates dates, the rest text."""
    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # spreadsheets have no time zones: UTC
    return value


def write_annex(edition: Edition, target: Path) -> None:
    """Every table as a sheet with the mart's column names; text that a spreadsheet would
    take for a formula (= + - @) is stored as text with Excel's quote prefix."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    about = workbook.active
    about.title = "edition"
    for row in [
        ("reporting_year", edition.year),
        ("as_of", edition.as_of),
        ("generated_at", edition.generated_at),
        ("previous_edition", edition.previous_edition),
    ] + [
        (f"sql:{k}", s.sql if s.available else f"not available: marts.{s.mart}")
        for k, s in edition.sections.items()
    ]:
        about.append(list(row))
    for section in edition.sections.values():
        if not section.available:
            continue
        sheet = workbook.create_sheet(section.key)
        sheet.append(section.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append([excel_value(v) for v in row])
        _escape_formulas(sheet)
        sheet.freeze_panes = "A2"
    versions = workbook.create_sheet("report_versions")
    columns = ["reporting_year", "state_code", "programme_code", "source_file", "report_id", "report_version"]
    versions.append(columns)
    for v in edition.report_versions:
        versions.append([v[c] for c in columns])
    _escape_formulas(versions)
    revisions = workbook.create_sheet("revisions")
    revisions.append(["table", "key", "column", "previous", "current"])
    for rv in edition.revisions:
        revisions.append(
            [
                rv["table"],
                json.dumps(rv["key"], ensure_ascii=False),
                rv["column"],
                _json_cell(rv["previous"]),
                _json_cell(rv["current"]),
            ]
        )
    _escape_formulas(revisions)
    _escape_formulas(about)
    workbook.save(target)


def _json_cell(value):
    return value if isinstance(value, int | float | str) or value is None else json.dumps(value)


def _escape_formulas(sheet) -> None:
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                cell.data_type = "s"
                cell.quotePrefix = True


# -- the whole edition -------------------------------------------------------------


def previous_edition_path(output_dir: Path) -> Path:
    return output_dir / "edition.json"


def write_council_report(
    year: int, languages: tuple[str, ...] = LANGUAGES, output_dir: Path | None = None
) -> Edition:
    """Render the edition for ``year`` into reports/council_report_<year>/."""
    for lang in languages:
        if lang not in LANGUAGES:
            raise ValueError(f"language {lang!r}: expected one of {LANGUAGES}")
    output_dir = output_dir or paths().reports / f"council_report_{year}"
    output_dir.mkdir(parents=True, exist_ok=True)
    sections, versions, as_of, labels = read_edition_data(year)
    if not any(r[0] == year for r in sections["headline"].rows):
        raise ValueError(f"marts.rpt_headline_figures has no figures for {year}")

    generated_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    previous, previous_label = {}, None
    stored = previous_edition_path(output_dir)
    if stored.exists():
        previous = json.loads(stored.read_text(encoding="utf-8"))
        previous_label = previous.get("generated_at")
        history = output_dir / "editions"
        history.mkdir(exist_ok=True)
        stamp = (previous_label or "unknown").replace(":", "").replace("+", "_")
        (history / f"edition_{stamp}.json").write_text(stored.read_text(encoding="utf-8"), encoding="utf-8")

    edition = Edition(
        year=year,
        as_of=as_of,
        generated_at=generated_at,
        sections=sections,
        report_versions=[{k: _plain(v) for k, v in r.items()} for r in versions],
        revisions=compare_editions(previous, sections) if previous else [],
        previous_edition=previous_label,
        output_dir=output_dir,
    )
    for lang in languages:
        html = render_html(build_context(edition, labels, lang))
        html_path = output_dir / f"{lang}.html"
        html_path.write_text(html, encoding="utf-8")
        pdf_path = output_dir / f"{lang}.pdf"
        write_pdf(html, pdf_path)
        edition.files[f"{lang}.html"] = html_path
        edition.files[f"{lang}.pdf"] = pdf_path
    annex = output_dir / "annex.xlsx"
    write_annex(edition, annex)
    edition.files["annex.xlsx"] = annex
    stored.write_text(
        json.dumps(
            {
                "reporting_year": year,
                "as_of": as_of,
                "generated_at": generated_at,
                "languages": list(languages),
                "previous_edition": previous_label,
                "headline": {
                    str(r["reporting_year"]): {k: _plain(v) for k, v in r.items()}
                    for r in sections["headline"].records()
                    if r["reporting_year"] in (year, year - 1)
                },
                "report_versions": edition.report_versions,
                "revisions": edition.revisions,
                "figures": _figures(sections),
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    edition.files["edition.json"] = stored
    return edition
