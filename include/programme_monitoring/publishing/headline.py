"""Headline figures per year, in the shape of the Executive Committee's 2014 statement.

Every figure is read from ``marts.rpt_headline_figures``; nothing is computed here. The
columns and their labels are the ``headline_figures`` seed's (``publishing.labels``).
Written as CSV (for schedulers and spreadsheets) and HTML (for people, through the
Jinja template ``templates/headline_figures.html.j2``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from programme_monitoring.atomic_files import write_atomically
from programme_monitoring.publishing.html import render
from programme_monitoring.publishing.labels import YEAR_COLUMN, figure_labels, headline_labels
from programme_monitoring.settings import paths
from programme_monitoring.warehouse.connection import connect


@dataclass(frozen=True)
class HeadlineReport:
    rows: list[dict]
    csv_path: Path
    html_path: Path


def read_headline_figures() -> list[dict]:
    """Every year's row of the mart, with the columns in the statement's order."""
    columns = ", ".join(headline_labels("en"))
    with connect() as conn:
        cursor = conn.execute(f"select {columns} from marts.rpt_headline_figures order by reporting_year")
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]


def headline_html(rows: list[dict]) -> str:
    """The table of every year, labels in English with the Russian beneath."""
    return render(
        "headline_figures.html.j2",
        rows=rows,
        labels_en=headline_labels("en"),
        labels_ru=headline_labels("ru"),
        year_column=YEAR_COLUMN,
        figure_columns=list(figure_labels("en")),
    )


def write_headline_report(output_dir: Path | None = None) -> HeadlineReport:
    output_dir = output_dir or paths().reports
    output_dir.mkdir(parents=True, exist_ok=True)
    rows = read_headline_figures()
    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, fieldnames=list(headline_labels("en")))
    writer.writeheader()
    writer.writerows(rows)
    csv_path = output_dir / "headline_figures.csv"
    write_atomically(csv_path, table.getvalue())  # a reader polling reports/ never sees half a file
    html_path = output_dir / "headline_figures.html"
    write_atomically(html_path, headline_html(rows))
    return HeadlineReport(rows, csv_path, html_path)
