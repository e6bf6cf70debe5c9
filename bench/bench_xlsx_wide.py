"""XLSX reading time against file size: a sheet whose rows reach column XFD.

Run: PYTHONPATH=include .venv/bin/python bench/bench_xlsx_wide.py [rows]
Writes two workbooks with the same indicator rows: a plain one, and one where each row also
has an empty, formatted cell at column XFD (16,384 columns: the file grows by a few bytes per
row, but a reader that builds whole rows builds 16,384 cells per row). Times parse_report on
each, best of 3 wall-clock runs, and prints a Markdown table.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import openpyxl
from openpyxl.styles import Font
from programme_monitoring.report_format.reader import parse_report

HEADER_ROWS = [
    ("Государство", "KZ"),
    ("Компетентный орган", "МВД"),
    ("Программа", "THB"),
    ("Отчётный год", 2014),
    ("Дата представления", "2015-02-14"),
    ("Версия отчёта", 1),
]


def workbook(path: Path, rows: int, wide: bool) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheet = book.create_sheet("Отчёт")
    for row in HEADER_ROWS:
        sheet.append(row)
    sheet = book.create_sheet("Показатели")
    sheet.append(("Код показателя", "Разбивка", "Значение"))
    bold = Font(bold=True)
    for i in range(rows):
        sheet.append(("THB01", f"article=a{i}", i))
        if wide:
            sheet.cell(row=i + 2, column=16384).font = bold
    book.save(path)
    return path


def best_of_3(path: Path) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        parse_report(path)
        times.append(time.perf_counter() - start)
    return min(times)


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        print("| sheet | file size | parse_report |")
        print("|---|---|---|")
        for wide in (False, True):
            path = workbook(Path(folder) / f"r{int(wide)}.xlsx", rows, wide)
            kind = "each row also has an empty formatted cell at XFD" if wide else "plain"
            print(
                f"| {rows:,} rows, {kind} | {path.stat().st_size / 1024:.0f} KB | {best_of_3(path):.2f} s |"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
