"""Writing reports of template version 1: ``write_report`` in any of the three formats, and
the workbook layout the blank form (``blank_template.write_blank_template``) starts from.

What is written reads back unchanged (``parse_report`` of ``write_report`` gives the same
tables): text a spreadsheet would take for a formula is escaped (CSV) or stored as text
(XLSX), and workbooks are saved with fixed timestamps so the same report gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from programme_monitoring.reference import load_reference
from programme_monitoring.report_format.file_safety import escape_formula, needs_formula_escape
from programme_monitoring.report_format.labels import (
    ALIASES,
    CSV_COLUMNS,
    HEADER_FIELDS,
    JSON_INDICATOR_KEYS,
    JSON_MEASURE_KEYS,
    TOTAL,
    XLSX_INDICATOR_COLUMNS,
    XLSX_MEASURE_COLUMNS,
    label,
)
from programme_monitoring.report_format.records import FORMATS, TEMPLATE_VERSION, ReportHeader


def _rows(table: list[dict] | pd.DataFrame, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Plain dicts with the given keys; pandas NA / NaN values become None."""
    records = table.to_dict("records") if isinstance(table, pd.DataFrame) else list(table)
    clean = []
    for record in records:
        row = {}
        for key in columns:
            value = record.get(key)
            row[key] = None if value is None or (not isinstance(value, str) and pd.isna(value)) else value
        clean.append(row)
    return clean


def _indicator_rows(table: list[dict] | pd.DataFrame) -> list[dict[str, Any]]:
    rows = _rows(table, JSON_INDICATOR_KEYS)
    for row in rows:
        row["value"] = None if row["value"] is None else int(row["value"])
        row["disaggregation"] = row["disaggregation"] or TOTAL
        row["comment"] = row["comment"] or ""
    return rows


def _measure_rows(table: list[dict] | pd.DataFrame) -> list[dict[str, Any]]:
    rows = _rows(table, JSON_MEASURE_KEYS)
    for row in rows:
        row["narrative"] = row["narrative"] or ""
    return rows


def write_report(
    header: ReportHeader,
    indicator_values: list[dict] | pd.DataFrame,
    measures: list[dict] | pd.DataFrame,
    path: Path,
    fmt: str,
) -> Path:
    """Write a report as template version 1 in "xlsx", "csv" or "json"; returns the path.

    indicator_values: rows with indicator_code, disaggregation, value (int or None = not
    reported), comment; measures: rows with measure_code, status, narrative. A
    ``ParsedReport``'s tables are accepted as they are.
    """
    fmt = fmt.lower().lstrip(".")
    path = Path(path)
    values, actions = _indicator_rows(indicator_values), _measure_rows(measures)
    if fmt == "xlsx":
        workbook = _workbook(header, values, actions, header.programme_code, header.reporting_year)
        save_workbook(workbook, path, dt.datetime.combine(header.submission_date, dt.time()))
    elif fmt == "csv":
        _write_csv(header, values, actions, path)
    elif fmt == "json":
        _write_json(header, values, actions, path)
    else:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return path


def _header_values(header: ReportHeader) -> dict[str, Any]:
    return {
        "state": header.state_code,
        "authority": header.authority,
        "programme": header.programme_code,
        "reporting_year": header.reporting_year,
        "submission_date": header.submission_date.isoformat(),
        "version": header.version,
    }


def _write_csv(header: ReportHeader, values: list[dict], actions: list[dict], path: Path) -> None:
    head = {key: escape_formula(v) if isinstance(v, str) else v for key, v in _header_values(header).items()}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in values:
        value = "" if row["value"] is None else row["value"]
        writer.writerow(
            [
                *head.values(),
                "indicator",
                escape_formula(row["indicator_code"]),
                escape_formula(row["disaggregation"]),
                value,
                "",
                escape_formula(row["comment"]),
            ]
        )
    for row in actions:
        writer.writerow(
            [
                *head.values(),
                "measure",
                escape_formula(row["measure_code"]),
                "",
                "",
                escape_formula(row["status"]),
                escape_formula(row["narrative"]),
            ]
        )
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _write_json(header: ReportHeader, values: list[dict], actions: list[dict], path: Path) -> None:
    doc = {
        "template_version": TEMPLATE_VERSION,
        "header": _header_values(header),
        "indicator_values": values,
        "measures": actions,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _put(ws: Worksheet, row: int, column: int, value: object) -> None:
    """Write a cell; text that Excel would take for a formula (= + - @, tab, CR) stays text.

    XLSX has the escape built in: a text cell with the "quote prefix" style is exactly what
    Excel stores when one types '=1+2 (the value is "=1+2", shown and kept as text, never
    evaluated, also after editing the cell). So the value itself needs no added quote."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and needs_formula_escape(value):
        cell.data_type = "s"
        cell.quotePrefix = True


def _heading(ws: Worksheet, scope: str, keys: tuple[str, ...], widths: tuple[int, ...]) -> None:
    for column, (key, width) in enumerate(zip(keys, widths, strict=True), start=1):
        _put(ws, 1, column, label(scope, key))
        ws.cell(row=1, column=column).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"


INSTRUCTIONS = (
    "Шаблон отчёта государства – участника, версия 1 / Member-state report template, version 1",
    "",
    "Лист «Отчёт | Report»: заполните все поля (государство – код ISO, например KZ). / "
    "Fill in every header field (state as ISO code, e.g. KZ).",
    "Лист «Показатели | Indicators»: одна строка на значение, целое число. Пустая ячейка = значение "
    "не представлено (это НЕ ноль). Ноль пишите как 0. / One row per value, a whole number. An empty "
    "cell = not reported (NOT zero); write zero as 0.",
    "Разбивка: пусто или total = итог; иначе «измерение=значение», например sex=female, "
    "operation=PRV-2014-01. / Disaggregation: empty or 'total', else 'dimension=value'.",
    "Структура листов защищена: заполняются только белые ячейки. Пустые строки под показателями – "
    "для разбивок (выберите показатель и разбивку из списков); строки под CR02/CR03 – по одной на "
    "каждую совместную операцию (operation=код операции, значение 1). / The structure is protected: "
    "fill in the white cells only. The empty rows below the indicators are for breakdowns (pick the "
    "indicator and the breakdown from the lists); the rows below CR02/CR03 take one joint operation "
    "each (operation=<operation code>, value 1).",
    "Лист «Мероприятия | Measures»: статус – выполнено / выполняется / не выполнено / перенесено "
    "(implemented / in progress / not implemented / postponed).",
    "Перечень мероприятий программы в этом шаблоне носит иллюстративный характер: реальные тексты "
    "мероприятий не опубликованы. / The programme measure registry in this template is ILLUSTRATIVE: "
    "the real measure texts are not public.",
)


def _workbook(
    header: ReportHeader | None,
    values: list[dict],
    actions: list[dict],
    programme_code: str,
    year: int,
) -> openpyxl.Workbook:
    """The template workbook; ``header`` None gives the blank form for programme and year."""
    reference = load_reference()
    indicator_names = dict(
        zip(reference.indicators.indicator_code, reference.indicators.name_ru, strict=True)
    )
    measures = reference.measures[reference.measures.programme_code == programme_code]
    measure_texts = dict(zip(measures.measure_code, measures.text_ru, strict=True))

    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = label("sheet", "report")
    _heading(ws, "header", ("field",), (34,))
    _put(ws, 1, 2, "Значение / Value")
    _put(ws, 1, 3, "Подсказка / Hint")
    ws.column_dimensions["B"].width, ws.column_dimensions["C"].width = 48, 40
    hints = {
        "state": "код ISO, например KZ / ISO code, e.g. KZ",
        "submission_date": "ГГГГ-ММ-ДД / YYYY-MM-DD",
        "version": "1 – первичный, 2… – исправленный / 1 = first, 2… = correction",
    }
    if header is None:
        head: dict[str, Any] = {"programme": programme_code, "reporting_year": year, "version": 1}
    else:
        head = _header_values(header) | {"submission_date": header.submission_date}
    for row, key in enumerate((*HEADER_FIELDS, "template_version"), start=2):
        _put(ws, row, 1, label("header", key))
        _put(ws, row, 2, TEMPLATE_VERSION if key == "template_version" else head.get(key))
        if key == "submission_date":
            ws.cell(row=row, column=2).number_format = "yyyy-mm-dd"
        _put(ws, row, 3, hints.get(key, ""))

    ws = workbook.create_sheet(label("sheet", "indicators"))
    _heading(ws, "indicator", XLSX_INDICATOR_COLUMNS, (16, 50, 32, 14, 50))
    for row, item in enumerate(values, start=2):
        cells = (
            item["indicator_code"],
            indicator_names.get(item["indicator_code"], ""),
            item["disaggregation"],
            item["value"],
            item["comment"],
        )
        for column, value in enumerate(cells, start=1):
            _put(ws, row, column, value)

    ws = workbook.create_sheet(label("sheet", "measures"))
    _heading(ws, "measure", XLSX_MEASURE_COLUMNS, (16, 60, 32, 60))
    for row, item in enumerate(actions, start=2):
        cells = (
            item["measure_code"],
            measure_texts.get(item["measure_code"], ""),
            item["status"],
            item["narrative"],
        )
        for column, value in enumerate(cells, start=1):
            _put(ws, row, column, value)
    statuses = ",".join(label("status", key) for key in ALIASES["status"])
    validation = DataValidation(type="list", formula1=f'"{statuses}"', allow_blank=True)
    validation.error = "выберите статус из списка / choose a status from the list"
    ws.add_data_validation(validation)
    validation.add(f"C2:C{max(len(actions) + 1, 200)}")

    ws = workbook.create_sheet(label("sheet", "instructions"))
    ws.column_dimensions["A"].width = 120
    for row, line in enumerate(INSTRUCTIONS, start=1):
        _put(ws, row, 1, line)
        ws.cell(row=row, column=1).alignment = Alignment(wrap_text=True)
    return workbook


def save_workbook(workbook: openpyxl.Workbook, path: Path, timestamp: dt.datetime) -> None:
    """Save with fixed timestamps (document properties and zip entries) so the bytes are reproducible."""
    workbook.properties.creator = "programme_monitoring report template v1"
    workbook.properties.created = timestamp
    buffer = io.BytesIO()
    workbook.save(buffer)  # sets properties.modified to the wall clock: replaced below
    stamp = timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
