"""Headline figures per year, in the shape of the Executive Committee's 2014 statement.

Every figure is read from ``marts.rpt_headline_figures``; nothing is computed here.
Written as CSV (for schedulers and spreadsheets) and HTML (for people).
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from pathlib import Path

from programme_monitoring.settings import paths
from programme_monitoring.warehouse.connection import connect

# Mart column -> (English, Russian) label, in the order of the statement.
HEADLINE_LABELS: dict[str, tuple[str, str]] = {
    "reporting_year": ("Year", "Год"),
    "crimes_identified": (
        "Crimes connected with trafficking and associated illegal migration identified",
        "Выявлено преступлений, связанных с торговлей людьми и незаконной миграцией",
    ),
    "persons_brought_to_justice": ("People brought to justice", "Привлечено к уголовной ответственности"),
    "criminal_groups_terminated": (
        "Criminal groups whose activities were terminated",
        "Пресечена деятельность преступных групп",
    ),
    "migration_channels_blocked": (
        "Illegal migration channels blocked",
        "Пресечено каналов незаконной миграции",
    ),
    "comprehensive_preventive_measures": (
        "Simultaneous comprehensive preventive measures",
        "Комплексные профилактические мероприятия",
    ),
    "special_operations": ("Joint special operations", "Совместные специальные операции"),
    "training_participants": ("Training participants", "Участники обучения"),
    "specialists_certified": ("Specialists certified", "Специалисты, прошедшие повышение квалификации"),
    "reports_used": ("Member-state reports used", "Использовано отчётов государств"),
}


@dataclass(frozen=True)
class HeadlineReport:
    rows: list[dict]
    csv_path: Path
    html_path: Path


def read_headline_figures() -> list[dict]:
    columns = ", ".join(HEADLINE_LABELS)
    with connect() as conn:
        cursor = conn.execute(f"select {columns} from marts.rpt_headline_figures order by reporting_year")
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]


def write_headline_report(output_dir: Path | None = None) -> HeadlineReport:
    output_dir = output_dir or paths().reports
    output_dir.mkdir(parents=True, exist_ok=True)
    rows = read_headline_figures()
    csv_path = output_dir / "headline_figures.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(HEADLINE_LABELS))
        writer.writeheader()
        writer.writerows(rows)
    html_path = output_dir / "headline_figures.html"
    html_path.write_text(_html(rows), encoding="utf-8")
    return HeadlineReport(rows, csv_path, html_path)


def _cell(value) -> str:
    if value is None:
        return "—"
    return f"{value:,}".replace(",", "\u202f") if isinstance(value, int) else html.escape(str(value))


def _html(rows: list[dict]) -> str:
    header = "".join(
        f"<th>{html.escape(en)}<br><span lang='ru'>{html.escape(ru)}</span></th>"
        for en, ru in HEADLINE_LABELS.values()
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td>{_cell(row[c]) if c != 'reporting_year' else row[c]}</td>" for c in HEADLINE_LABELS)
        + "</tr>"
        for row in rows
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Headline figures of programme implementation</title>
<style>body{{font-family:sans-serif}} table{{border-collapse:collapse}}
td,th{{border:1px solid #999;padding:4px 8px}} td{{text-align:right}}
th span{{color:#555;font-weight:normal}}</style>
</head><body>
<h1>Headline figures of the CIS inter-state programmes<br>
<span lang="ru">Основные показатели выполнения межгосударственных программ СНГ</span></h1>
<p>Read from <code>marts.rpt_headline_figures</code>: sums over member-state reports accepted by the intake;
joint operations counted once at CIS level.</p>
<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>
</body></html>
"""
