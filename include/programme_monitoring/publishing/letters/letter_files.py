"""A query letter as files for its sender: XLSX (one row per item, an answer column) and PDF.

Both hold the Russian and the English text. The XLSX keeps numbers as numbers and every
text cell as text: a text a spreadsheet would take for a formula (the project's one rule,
``report_format.file_safety.needs_formula_escape``) is stored as a plain string cell with
Excel's quote prefix, as the Council report's annex does, so
opening the file never evaluates anything a report or a message contains. The PDF is
drawn from the same HTML path as the Council report (Jinja template
``query_letter.html.j2``, WeasyPrint), Russian part first, then English.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from programme_monitoring.atomic_files import write_atomically
from programme_monitoring.intake.receipts import sender_for
from programme_monitoring.publishing import formatting
from programme_monitoring.publishing.council.render import breakdown, finding_text, programme_short
from programme_monitoring.publishing.html import TEMPLATES_DIR, render
from programme_monitoring.report_format.file_safety import needs_formula_escape

if TYPE_CHECKING:
    from programme_monitoring.publishing.letters.queries import Letter

TEMPLATE = "query_letter.html.j2"

TEXT = {
    "ru": {
        "org": "Исполнительный комитет Содружества Независимых Государств",
        "title": "Запрос по замечаниям к отчётности",
        "number": "Письмо №",
        "date": "Дата",
        "to": "Кому",
        "year_all": "все отчётные годы",
        "year_one": "отчётный год {year}",
        "intro": "При проверке представленных отчётов выявлены замечания, перечисленные ниже ({n}). "
        "По каждому пункту поясните значение в ответе на это письмо или направьте исправленный отчёт "
        "со следующим номером версии. В ответе укажите номер письма и номер пункта (например, "
        "{number}, п. 1).",
        "columns": [
            "№",
            "Номер замечания",
            "Отчёт: файл, лист, строка",
            "Показатель",
            "Значения",
            "Замечание",
            "Что сделать",
        ],  # fmt: skip
        "todo": "Пояснить или исправить",
        "todo_long": "Поясните значение (ответом на это письмо) или направьте исправленный отчёт со "
        "следующим номером версии.",
        "report": "{programme}, {year} г.",
        "sheet": "лист",
        "row": "строка",
        "breakdown": "разбивка",
        "answer": "Ответ отправителя",
        "left": "Левая часть",
        "comparison": "Сравнение",
        "right": "Правая часть",
        "involved": "Сравниваемые значения",
        "message": "Замечание",
        "indicator": "Показатель",
        "programme": "Программа",
        "year": "Отчётный год",
        "file": "Файл",
        "sheet_col": "Лист",
        "row_col": "Строка",
        "code": "Код показателя",
        "breakdown_col": "Разбивка",
    },
    "en": {
        "org": "Executive Committee of the Commonwealth of Independent States",
        "title": "Query on findings in your reports",
        "number": "Letter No.",
        "date": "Date",
        "to": "To",
        "year_all": "all reporting years",
        "year_one": "reporting year {year}",
        "intro": "Checking the reports you sent raised the findings listed below ({n}). For each item, "
        "explain the value in your answer to this letter or send a corrected report with the next "
        "version number. In your answer, cite the letter and the item number (for example, {number}, "
        "item 1).",
        "columns": [
            "No.",
            "Finding",
            "Report: file, sheet, row",
            "Indicator",
            "Values",
            "Finding text",
            "What to do",
        ],  # fmt: skip
        "todo": "Explain or correct",
        "todo_long": "Explain the value (in your answer to this letter) or send a corrected report with the "
        "next version number.",
        "report": "{programme}, {year}",
        "sheet": "sheet",
        "row": "row",
        "breakdown": "breakdown",
        "answer": "Sender's answer",
        "left": "Left-hand value",
        "comparison": "Comparison",
        "right": "Right-hand value",
        "involved": "Values compared",
        "message": "Finding text",
        "indicator": "Indicator",
        "programme": "Programme",
        "year": "Reporting year",
        "file": "File",
        "sheet_col": "Sheet",
        "row_col": "Row",
        "code": "Indicator code",
        "breakdown_col": "Breakdown",
    },
}


def write_letter(letter: Letter, folder: Path) -> dict[str, Path]:
    """The letter's XLSX and PDF in ``folder`` (the sender's outbox), unless already there."""
    files = {"xlsx": folder / f"{letter.number}.xlsx", "pdf": folder / f"{letter.number}.pdf"}
    if not files["xlsx"].exists():
        write_atomically(files["xlsx"], xlsx_bytes(letter))
    if not files["pdf"].exists():
        write_atomically(files["pdf"], pdf_bytes(letter))
    return files


# -- XLSX ---------------------------------------------------------------------------


def safe_text(cell, value: str) -> None:
    """Put ``value`` into ``cell`` as text, never as a formula."""
    cell.value = value
    cell.data_type = "s"
    if needs_formula_escape(value):
        cell.quotePrefix = True


def xlsx_bytes(letter: Letter) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from programme_monitoring.publishing.letters.queries import number_value

    sender = sender_for(letter.sender_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Запрос - Query"
    ru, en = TEXT["ru"], TEXT["en"]
    head = [
        (f"{ru['number']} / {en['number']}", letter.number),
        (f"{ru['date']} / {en['date']}", letter.issued_at.date().isoformat()),
        (f"{ru['to']} / {en['to']}", f"{sender.name_ru} / {sender.name_en}"),
        (ru["title"], ru["intro"].format(n=len(letter.items), number=letter.number)),
        (en["title"], en["intro"].format(n=len(letter.items), number=letter.number)),
    ]
    for row, (label, text) in enumerate(head, 1):
        safe_text(sheet.cell(row, 1), label)
        safe_text(sheet.cell(row, 2), text)
        sheet.cell(row, 1).font = Font(bold=True)
    columns = [
        ("item_number", "№", "No."),
        ("finding_id", "Номер замечания", "Finding"),
        ("programme_code", ru["programme"], en["programme"]),
        ("reporting_year", ru["year"], en["year"]),
        ("source_file", ru["file"], en["file"]),
        ("source_sheet", ru["sheet_col"], en["sheet_col"]),
        ("source_row", ru["row_col"], en["row_col"]),
        ("indicator_code", ru["code"], en["code"]),
        ("indicator_name_ru", ru["indicator"] + " (RU)", en["indicator"] + " (RU)"),
        ("indicator_name_en", ru["indicator"] + " (EN)", en["indicator"] + " (EN)"),
        ("disaggregation", ru["breakdown_col"], en["breakdown_col"]),
        ("left_value", ru["left"], en["left"]),
        ("operator", ru["comparison"], en["comparison"]),
        ("right_value", ru["right"], en["right"]),
        ("values_involved", ru["involved"], en["involved"]),
        ("message_ru", ru["message"] + " (RU)", en["message"] + " (RU)"),
        ("message_en", ru["message"] + " (EN)", en["message"] + " (EN)"),
        ("todo_ru", ru["columns"][6] + " (RU)", en["columns"][6] + " (RU)"),
        ("todo_en", ru["columns"][6] + " (EN)", en["columns"][6] + " (EN)"),
        ("answer", ru["answer"], en["answer"]),
    ]
    top = len(head) + 2
    for col, (_, label_ru, label_en) in enumerate(columns, 1):
        safe_text(sheet.cell(top, col), f"{label_ru} / {label_en}" if label_ru != label_en else label_ru)
        sheet.cell(top, col).font = Font(bold=True)
        sheet.cell(top, col).alignment = Alignment(wrap_text=True, vertical="top")
    numbers = {"item_number", "reporting_year", "source_row", "left_value", "right_value"}
    for offset, item in enumerate(letter.items, 1):
        values = {**item, "todo_ru": ru["todo_long"], "todo_en": en["todo_long"], "answer": None}
        for col, (key, _, _) in enumerate(columns, 1):
            cell, value = sheet.cell(top + offset, col), values[key]
            if value is None:
                continue
            if key in numbers:
                cell.value = number_value(value)
            else:
                safe_text(cell, str(value))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [6, 18, 10, 10, 24, 14, 8, 12, 30, 30, 16, 12, 10, 12, 30, 45, 45, 35, 35, 35]
    for col, width in enumerate(widths, 1):
        sheet.column_dimensions[sheet.cell(1, col).column_letter].width = width
    sheet.column_dimensions["A"].width = 24
    sheet.freeze_panes = sheet.cell(top + 1, 3)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


# -- PDF ----------------------------------------------------------------------------


# How the mart's comparisons read (rpt_validation_findings.operator); another operator shows both sides.
RELATIONS = {
    "ru": {
        "vs previous year": "{left} при {right} годом ранее",
        "vs median of the state's years": "{left} при медиане по годам {right}",
        "vs UNODC GLOTIP": "{left} при {right} по данным УНП ООН",
    },
    "en": {
        "vs previous year": "{left} against {right} the year before",
        "vs median of the state's years": "{left} against the median of the state's years, {right}",
        "vs UNODC GLOTIP": "{left} against {right} in UNODC GLOTIP",
    },
}
SYMBOLS = ("<", "<=", "=", ">=", ">", "<>")
OTHER_RELATION = {"ru": "{left} и {right}", "en": "{left} and {right}"}


# The values an intake rule compares (its ``involved`` names, quality.suites), in the reader's words.
INVOLVED = {
    "ru": {"total": "всего", "sex_sum": "сумма по полу", "age_sum": "сумма по возрастам",
           "prosecuted": "привлечено к ответственности", "convicted": "осуждено", "due": "предусмотрено",
           "implemented": "выполнено", "basis": "основание"},
    "en": {"total": "total", "sex_sum": "sum by sex", "age_sum": "sum of the age groups",
           "prosecuted": "brought to justice", "convicted": "convicted", "due": "due",
           "implemented": "implemented", "basis": "basis"},
}  # fmt: skip
NOT_A_VALUE = ("indicator_code", "disaggregation", "indicators")  # "indicators": the rule's, not a value


def _involved(item: dict, lang: str) -> str:
    try:
        involved = json.loads(item.get("values_involved") or "{}")
    except ValueError:
        return formatting.MISSING
    if not isinstance(involved, dict):
        return formatting.MISSING
    shown = [
        f"{INVOLVED[lang].get(k, k)}: {formatting.count(v, lang) if isinstance(v, int | float) else v}"
        for k, v in involved.items()
        if k not in NOT_A_VALUE and v is not None
    ]
    return "; ".join(shown) or formatting.MISSING


def _values(item: dict, lang: str) -> str:
    left, right = item["left_value"], item["right_value"]
    if left is None and right is None:
        return _involved(item, lang)
    operator = (item["operator"] or "").strip()
    sides = {"left": formatting.count(left, lang), "right": formatting.count(right, lang)}
    if operator in SYMBOLS:
        return f"{sides['left']} {operator.replace('<=', '≤').replace('>=', '≥')} {sides['right']}"
    return RELATIONS[lang].get(operator, OTHER_RELATION[lang]).format(**sides)


def _place(item: dict, lang: str) -> str:
    t = TEXT[lang]
    programme = programme_short(item["programme_code"], lang)
    parts = [t["report"].format(programme=programme, year=item["reporting_year"])]
    if item["source_file"]:
        parts.append(item["source_file"])
    if item["source_sheet"]:
        parts.append(f"{t['sheet']} «{item['source_sheet']}»")
    if item["source_row"] is not None:
        parts.append(f"{t['row']} {item['source_row']}")
    return ", ".join(parts)


def _indicator(item: dict, lang: str) -> str:
    name = item.get(f"indicator_name_{lang}") or item["indicator_code"] or formatting.MISSING
    code = item["indicator_code"]
    text = f"{code} — {name}" if code and name != code else name
    if item["disaggregation"] and item["disaggregation"] != "total":
        text += f" ({breakdown(item['disaggregation'], lang)})"
    return text


def context(letter: Letter) -> dict:
    sender = sender_for(letter.sender_id)
    parts = []
    for lang in ("ru", "en"):
        t = TEXT[lang]
        year = (
            t["year_all"]
            if letter.reporting_year is None
            else t["year_one"].format(year=letter.reporting_year)
        )
        parts.append(
            {
                "lang": lang,
                "t": t,
                "to": getattr(sender, f"name_{lang}"),
                "date": formatting.date(letter.issued_at.date(), lang),
                "scope": year,
                "intro": t["intro"].format(n=len(letter.items), number=letter.number),
                "rows": [
                    [
                        str(i["item_number"]),
                        i["finding_id"],
                        _place(i, lang),
                        _indicator(i, lang),
                        _values(i, lang),
                        finding_text(i, lang),
                        t["todo"],
                    ]
                    for i in letter.items
                ],
            }
        )
    return {"number": letter.number, "parts": parts}


def html(letter: Letter) -> str:
    return render(TEMPLATE, **context(letter))


def pdf_bytes(letter: Letter) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html(letter), base_url=str(TEMPLATES_DIR)).write_pdf()
