"""The blank template: the bilingual XLSX form a ministry fills in, for one programme and year.

It is made to be filled in, not redesigned: its structure is protected (sheets, codes,
labels) and only the value cells are open; states, statuses and breakdowns are drop-down
lists, counts must be whole numbers and the submission date a date (Excel refuses anything
else with an error message); every allowed breakdown and member is listed in Russian and
English on the instructions sheet; an indicator that counts joint operations (CR02, CR03:
aggregation ``distinct_operations``) gets rows for the operations, not only a total. What a
clerk fills in reads back with ``parse_report`` like any report of template version 1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.utils import range_boundaries
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from programme_monitoring.reference import Reference, load_reference
from programme_monitoring.report_format.labels import ALIASES, HEADER_FIELDS, TOTAL, label
from programme_monitoring.report_format.writer import _put, _workbook, save_workbook

# Members of each breakdown dimension, (dimension, member, label_ru, label_en). PROVISIONAL:
# the seed dbt_project/seeds/disaggregation_members.csv (same columns) is to own them; once
# it exists, pass its rows as ``members`` (or return them from ``template_members``).
# citizenship and country_of_origin take the states of the member_states seed.
PROVISIONAL_MEMBERS = (
    ("sex", "female", "женщины", "female"),
    ("sex", "male", "мужчины", "male"),
    ("age_group", "minor", "несовершеннолетние (до 18 лет)", "minors (under 18)"),
    ("age_group", "adult", "совершеннолетние (18 лет и старше)", "adults (18 and over)"),
    ("form_of_exploitation", "sexual", "сексуальная эксплуатация", "sexual exploitation"),
    ("form_of_exploitation", "labour", "трудовая эксплуатация", "labour exploitation"),
    ("form_of_exploitation", "other", "иные формы", "other forms"),
    ("domain", "THB", "торговля людьми", "trafficking in persons"),
    ("domain", "IM", "незаконная миграция", "illegal migration"),
    ("domain", "other", "иная преступность", "other crime"),
    ("assistance_type", "shelter", "приют", "shelter"),
    ("assistance_type", "medical", "медицинская помощь", "medical assistance"),
    ("assistance_type", "legal", "юридическая помощь", "legal assistance"),
    ("assistance_type", "other", "иная помощь", "other assistance"),
)
# Names of the dimensions of the indicators seed (PROVISIONAL as the members above).
DIMENSION_LABELS = {
    "sex": ("пол", "sex"),
    "age_group": ("возрастная группа", "age group"),
    "form_of_exploitation": ("форма эксплуатации", "form of exploitation"),
    "citizenship": ("гражданство (код ISO alpha-3)", "citizenship (ISO alpha-3 code)"),
    "article": ("статья уголовного кодекса", "criminal-code article"),
    "assistance_type": ("вид помощи", "type of assistance"),
    "route": ("маршрут", "route"),
    "domain": ("направление", "domain"),
    "operation": ("совместная операция (код)", "joint operation (code)"),
    "event": ("учебное мероприятие", "training event"),
    "agency": ("ведомство", "agency"),
    "country_of_origin": ("страна (код ISO alpha-3)", "country of origin (ISO alpha-3 code)"),
    "section": ("раздел программы", "programme section"),
}
BREAKDOWN_ROWS = 200  # empty rows for breakdowns below the prefilled indicators
OPERATION_ROWS = 20  # empty rows per indicator that counts joint operations
OPEN = Protection(locked=False)
OPEN_FILL = PatternFill("solid", fgColor="FFFFFF")
LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")


def template_members(reference: Reference) -> pd.DataFrame:
    """The members the template lists: the provisional table plus the states as citizenships."""
    states = [
        (dimension, row.iso3_code, row.name_ru, row.name_en)
        for dimension in ("citizenship", "country_of_origin")
        for row in reference.states.itertuples()
    ]
    return pd.DataFrame(
        [*PROVISIONAL_MEMBERS, *states], columns=["dimension", "member", "label_ru", "label_en"]
    )


def _refuse(ru: str, en: str) -> ValueError:
    return ValueError(f"{ru} / {en}")


def write_blank_template(
    programme_code: str, year: int, path: Path, members: pd.DataFrame | None = None
) -> Path:
    """A blank bilingual XLSX for one programme and year, prefilled with the indicators
    reportable then (a "total" row each, operation rows for those counting joint operations),
    the measures due that year and empty rows for breakdowns; protected, with validations.

    ``members``: (dimension, member, label_ru, label_en) rows listed and offered in the
    breakdown drop-down; default ``template_members``. Operation members (``operation``, e.g.
    ``SPO-2014-01``) become prefilled operation rows. A programme or year the programme does
    not cover, or a missing output folder, is refused with a ValueError (Russian / English).
    """
    reference = load_reference()
    code = str(programme_code).strip().upper()
    if code not in reference.programme_codes:
        known = ", ".join(sorted(reference.programme_codes))
        raise _refuse(
            f"неизвестная программа {programme_code!r}: укажите одну из {known}",
            f"unknown programme {programme_code!r}: use one of {known}",
        )
    first, last = reference.programme_period(code)
    if not first <= year <= last:
        raise _refuse(
            f"программа {code} действует в {first}–{last} годах: шаблона на {year} год нет",
            f"programme {code} runs {first}-{last}: there is no template for {year}",
        )
    path = Path(path)
    if not path.parent.is_dir():
        raise _refuse(
            f"папки {path.parent} нет: создайте её", f"folder {path.parent} does not exist: create it"
        )
    members = template_members(reference) if members is None else members
    indicators = reference.indicators.set_index("indicator_code")
    reportable = reference.reportable_indicators(code, year)
    codes = [c for c in reference.indicators.indicator_code if c in reportable]
    values, kinds = [], []
    for indicator in codes:
        values.append({"indicator_code": indicator, "disaggregation": TOTAL, "value": None, "comment": ""})
        kinds.append("total")
        if indicators.loc[indicator, "aggregation"] == "distinct_operations":
            known = members[members.dimension == "operation"].member
            values += [
                {
                    "indicator_code": indicator,
                    "disaggregation": f"operation={m}",
                    "value": None,
                    "comment": "",
                }
                for m in known
            ]
            kinds += ["operation"] * len(known) + ["operation_blank"] * OPERATION_ROWS
            values += [
                {"indicator_code": None, "disaggregation": None, "value": None, "comment": None}
            ] * OPERATION_ROWS
    kinds += ["breakdown"] * BREAKDOWN_ROWS
    values += [
        {"indicator_code": None, "disaggregation": None, "value": None, "comment": None}
    ] * BREAKDOWN_ROWS
    due = reference.measures_due(code, year)
    registry = reference.measures[reference.measures.programme_code == code].measure_code
    actions = [{"measure_code": m, "status": None, "narrative": None} for m in registry if m in due]
    workbook = _workbook(None, values, actions, code, year)
    dimensions = sorted({d for c in codes for d in reference.allowed_dimensions(c)})
    choices = _instructions(workbook, reference, code, year, codes, dimensions, members)
    _make_fillable(workbook, reference, code, year, codes, kinds, len(actions), choices)
    save_workbook(workbook, path, dt.datetime(year + 1, 1, 1))
    return path


def _instructions(
    workbook: openpyxl.Workbook,
    reference: Reference,
    programme: str,
    year: int,
    codes: list[str],
    dimensions: list[str],
    members: pd.DataFrame,
) -> str:
    """States, indicators with their breakdowns and every member, in Russian and English, on
    the instructions sheet; returns the range of the "dimension=member" column (the drop-down)."""
    ws = workbook[label("sheet", "instructions")]
    for column, width in zip("BCDE", (28, 40, 40, 40), strict=True):
        ws.column_dimensions[column].width = width
    row = ws.max_row + 2

    def table(title: str, heading: tuple[str, ...], rows: list[tuple]) -> tuple[int, int]:
        nonlocal row
        _put(ws, row, 1, title)
        ws.cell(row=row, column=1).font = Font(bold=True)
        for column, text in enumerate(heading, start=1):
            _put(ws, row + 1, column, text)
            ws.cell(row=row + 1, column=column).font = Font(bold=True)
        first = row + 2
        for offset, cells in enumerate(rows):
            for column, value in enumerate(cells, start=1):
                _put(ws, first + offset, column, value)
        row = first + len(rows) + 1
        return first, first + len(rows) - 1

    participants = reference.states[reference.states.state_code.isin(reference.participants(programme, year))]
    table(
        f"Государства – участники программы {programme} в {year} году / "
        f"States taking part in {programme} in {year}",
        ("Код / Code", "Наименование / Name (RU)", "Name (EN)"),
        [(r.state_code, r.name_ru, r.name_en) for r in participants.itertuples()],
    )
    indicators = reference.indicators.set_index("indicator_code")
    table(
        "Допустимые разбивки показателей / Breakdowns allowed per indicator",
        ("Показатель / Indicator", "Наименование / Name (RU)", "Name (EN)", "Разбивки / Breakdowns"),
        [
            (
                c,
                indicators.loc[c, "name_ru"],
                indicators.loc[c, "name_en"],
                ", ".join(sorted(reference.allowed_dimensions(c))) or "—",
            )
            for c in codes
        ],
    )
    listed = members[members.dimension.isin(dimensions)].sort_values(["dimension", "member"], kind="stable")
    rows = [
        (d, *DIMENSION_LABELS.get(d, (d, d)), f"{d}=…", "свободный код / free code")
        for d in dimensions
        if d not in set(listed.dimension)
    ]
    for r in listed.itertuples():
        names = DIMENSION_LABELS.get(r.dimension, (r.dimension, r.dimension))
        rows.append((r.dimension, *names, f"{r.dimension}={r.member}", f"{r.label_ru} / {r.label_en}"))
    first, last = table(
        "Разбивки и их значения / Breakdowns and their members",
        (
            "Разбивка / Breakdown",
            "Наименование / Name (RU)",
            "Name (EN)",
            "Пишите / Write",
            "Значение / Member",
        ),
        rows,
    )
    title = label("sheet", "instructions").replace("'", "''")
    return f"'{title}'!$D${first + len(rows) - len(listed)}:$D${max(last, first)}"


def _validation(ws: Worksheet, cells: str, error: tuple[str, str], style: str = "stop", **kwargs) -> None:
    """A data validation with its error alert on (Excel refuses, or warns, with the message)."""
    rule = DataValidation(allow_blank=True, showErrorMessage=True, errorStyle=style, **kwargs)
    rule.errorTitle = "Недопустимое значение / Invalid value"
    rule.error = f"{error[0]} / {error[1]}"
    ws.add_data_validation(rule)
    for part in cells.split():
        rule.add(part)


def _open(ws: Worksheet, cells: str) -> None:
    """Unlock a cell or range (white: to be filled in)."""
    for row in ws.iter_rows(*_bounds(cells)):
        for cell in row:
            cell.protection, cell.fill = OPEN, OPEN_FILL


def _ranges(column: str, rows: list[int]) -> str:
    """Rows of one column as ranges of consecutive rows, e.g. "C9:C28 C40:C59"."""
    parts: list[list[int]] = []
    for n in rows:
        if parts and n == parts[-1][1] + 1:
            parts[-1][1] = n
        else:
            parts.append([n, n])
    return " ".join(f"{column}{a}:{column}{b}" for a, b in parts)


def _bounds(cells: str) -> tuple[int, int, int, int]:
    min_col, min_row, max_col, max_row = range_boundaries(cells)
    return min_row, max_row, min_col, max_col


def _make_fillable(
    workbook: openpyxl.Workbook,
    reference: Reference,
    programme: str,
    year: int,
    codes: list[str],
    kinds: list[str],
    measure_rows: int,
    breakdowns: str,
) -> None:
    """Protect every sheet and the workbook's structure; open the value cells; add the lists
    and the whole-number and date rules, their error alerts on."""
    ws = workbook[label("sheet", "report")]
    rows = {key: n for n, key in enumerate((*HEADER_FIELDS, "template_version"), start=2)}
    for key in ("state", "authority", "submission_date", "version"):
        _open(ws, f"B{rows[key]}")
    states = ",".join(reference.participants(programme, year))
    _validation(
        ws,
        f"B{rows['state']}",
        ("выберите государство из списка", "choose a state from the list"),
        type="list",
        formula1=f'"{states}"',
    )
    _validation(
        ws,
        f"B{rows['submission_date']}",
        (
            f"дата с 01.01.{year} по 31.12.2100 (ГГГГ-ММ-ДД)",
            f"a date from {year}-01-01 to 2100-12-31 (YYYY-MM-DD)",
        ),
        type="date",
        operator="between",
        formula1=f"DATE({year},1,1)",
        formula2="DATE(2100,12,31)",
    )
    _validation(
        ws,
        f"B{rows['version']}",
        ("целое число от 1", "a whole number from 1"),
        type="whole",
        operator="greaterThanOrEqual",
        formula1="1",
    )

    ws = workbook[label("sheet", "indicators")]
    last = len(kinds) + 1
    _open(ws, f"D2:E{last}")
    shade = PatternFill("solid", fgColor="FFF2CC")
    blanks = [n for n, kind in enumerate(kinds, start=2) if kind in ("operation_blank", "breakdown")]
    for n in blanks:
        _open(ws, f"A{n}:C{n}")
    for n, kind in enumerate(kinds, start=2):
        if kind == "operation_blank":
            for (cell,) in ws.iter_cols(1, 5, n, n):
                cell.fill = shade
        elif kind in ("total", "operation"):
            for (cell,) in ws.iter_cols(1, 3, n, n):
                cell.fill = LOCKED_FILL
    _validation(
        ws,
        f"D2:D{last}",
        (
            "целое неотрицательное число; пусто = не представлено",
            "a whole number, 0 or more; empty = not reported",
        ),
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
    )
    if blanks:
        cells = _ranges("A", blanks)
        _validation(
            ws,
            cells,
            ("выберите показатель из списка", "choose an indicator from the list"),
            type="list",
            formula1=f'"{",".join(codes)}"',
        )
    operation_rows = _ranges("C", [n for n, kind in enumerate(kinds, start=2) if kind == "operation_blank"])
    if operation_rows:
        first = operation_rows.split()[0].split(":")[0]
        rule = (
            "пишите operation=код операции, например operation=SPO-2014-01",
            "write operation=<operation code>, e.g. operation=SPO-2014-01",
        )
        _validation(
            ws,
            operation_rows,
            rule,
            type="custom",
            formula1=f'AND(LEFT({first},10)="operation=",LEN({first})>10)',
            showInputMessage=True,
            promptTitle="Совместная операция / Joint operation",
            prompt=f"{rule[0]} / {rule[1]}",
        )
    breakdown_rows = _ranges("C", [n for n, kind in enumerate(kinds, start=2) if kind == "breakdown"])
    _validation(
        ws,
        breakdown_rows,
        (
            "разбивки нет в списке инструкции; проверьте написание",
            "the breakdown is not in the instructions' list; check the spelling",
        ),
        style="warning",
        type="list",
        formula1=breakdowns,
    )

    ws = workbook[label("sheet", "measures")]
    ws.data_validations.dataValidation = []  # the status list again, its error alert on
    if measure_rows:
        _open(ws, f"C2:D{measure_rows + 1}")
        statuses = ",".join(label("status", key) for key in ALIASES["status"])
        choose = ("выберите статус из списка", "choose a status from the list")
        _validation(ws, f"C2:C{measure_rows + 1}", choose, type="list", formula1=f'"{statuses}"')
    for sheet in workbook.worksheets:
        sheet.protection.sheet = True
        sheet.protection.formatColumns = sheet.protection.formatRows = False  # widths may change
    workbook.security = WorkbookProtection(lockStructure=True)
