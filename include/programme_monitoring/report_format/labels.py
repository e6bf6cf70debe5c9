"""Labels of report template version 1: every name a report may give a sheet, header field,
column, status or row kind, and the fixed tuples of fields and columns per format.

One reviewed table (``ALIASES``) serves both directions: the writer shows ``label`` (the
bilingual form), the readers map what a ministry typed back to a canonical key with
``lookup``, in any accepted spelling, case and spacing.
"""

from __future__ import annotations

import re

from programme_monitoring.reference import MEASURE_STATUSES

# The one reviewed table of labels, per context: canonical key -> (Russian, English, *other
# accepted spellings). The template shows "Russian / English" (sheets: "Russian | English");
# a reader accepts the key, any single label or the bilingual label, in any case and spacing.
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "sheet": {
        "report": ("Отчёт", "Report"),
        "indicators": ("Показатели", "Indicators"),
        "measures": ("Мероприятия", "Measures"),
        "instructions": ("Инструкция", "Instructions"),
    },
    "header": {
        "field": ("Поле", "Field"),  # caption row of the header sheet, skipped
        "state": ("Государство", "State", "Код государства", "State code"),
        "authority": ("Компетентный орган", "Competent authority", "Орган", "Authority"),
        "programme": ("Программа", "Programme", "Program", "Код программы", "Programme code"),
        "reporting_year": ("Отчётный год", "Reporting year", "Год", "Year"),
        "submission_date": ("Дата представления", "Submission date", "Дата", "Date"),
        "version": ("Версия отчёта", "Report version", "Версия", "Version"),
        "template_version": ("Версия шаблона", "Template version"),
    },
    "indicator": {
        "indicator_code": ("Код показателя", "Indicator code", "Показатель", "Indicator", "Code"),
        "indicator_name": ("Наименование показателя", "Indicator name"),  # for the reader, ignored
        "disaggregation": ("Разбивка", "Disaggregation", "Дезагрегация"),
        "value": ("Значение", "Value"),
        "comment": ("Комментарий", "Comment"),
    },
    "measure": {
        "measure_code": ("Код мероприятия", "Measure code", "Code"),
        "measure_text": ("Мероприятие", "Measure"),  # for the reader, ignored
        "status": ("Статус", "Status", "Состояние", "Состояние исполнения"),
        "narrative": ("Информация о выполнении", "Narrative", "Комментарий", "Comment"),
    },
    "status": {
        "implemented": ("выполнено", "implemented"),
        "in_progress": ("выполняется", "in progress"),
        "not_implemented": ("не выполнено", "not implemented"),
        "postponed": ("перенесено", "postponed"),
    },
    "part": {
        "indicator": ("показатель", "indicator"),
        "measure": ("мероприятие", "measure"),
    },
}
assert set(ALIASES["status"]) == set(MEASURE_STATUSES)

# Values with a meaning of their own: "not reported" is never 0; the total of an indicator.
NOT_REPORTED = ("not reported", "не представлено", "н/д")
TOTAL = "total"
TOTAL_SPELLINGS = (TOTAL, "всего", "итого")

HEADER_FIELDS = ("state", "authority", "programme", "reporting_year", "submission_date", "version")
CSV_COLUMNS = (*HEADER_FIELDS, "part", "code", "disaggregation", "value", "status", "comment")
JSON_INDICATOR_KEYS = ("indicator_code", "disaggregation", "value", "comment")
JSON_MEASURE_KEYS = ("measure_code", "status", "narrative")

# Columns of the XLSX data sheets, in template order; the first-named must be present.
XLSX_INDICATOR_COLUMNS = ("indicator_code", "indicator_name", "disaggregation", "value", "comment")
XLSX_MEASURE_COLUMNS = ("measure_code", "measure_text", "status", "narrative")
REQUIRED = {"indicator": ("indicator_code", "value"), "measure": ("measure_code", "status")}


def norm(text: object) -> str:
    """Comparison form of a label: case, ё/е, underscores and spacing (incl. non-breaking
    spaces) do not matter; invisible characters pasted along (zero-width space, byte-order
    mark, soft hyphen) are dropped."""
    text = re.sub("[\u200b\ufeff\u00ad]", "", str(text))
    text = text.casefold().replace("ё", "е").replace("_", " ")
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r" ?([/|]) ?", r"\1", text)


def label(scope: str, key: str) -> str:
    """The bilingual label the template shows, e.g. "Код показателя / Indicator code"."""
    ru, en = ALIASES[scope][key][:2]
    return f"{ru} | {en}" if scope == "sheet" else f"{ru} / {en}"


def _build_lookup() -> dict[str, dict[str, str]]:
    lookup: dict[str, dict[str, str]] = {}
    for scope, entries in ALIASES.items():
        table = lookup.setdefault(scope, {})
        for key, names in entries.items():
            ru, en = names[:2]
            for name in (key, *names, f"{ru}/{en}", f"{ru}|{en}", f"{en}/{ru}", f"{en}|{ru}"):
                table[norm(name)] = key
    return lookup


_LOOKUP = _build_lookup()
_NOT_REPORTED = {norm(token) for token in NOT_REPORTED}
_TOTAL = {norm(token) for token in TOTAL_SPELLINGS}


def lookup(scope: str, text: object) -> str | None:
    """Canonical key for a label or code written in any accepted spelling, else None."""
    return _LOOKUP[scope].get(norm(text)) if text is not None else None


def means_not_reported(text: str) -> bool:
    """Whether text is one of the NOT_REPORTED spellings (in any case and spacing)."""
    return norm(text) in _NOT_REPORTED


def means_total(text: str) -> bool:
    """Whether text is one of the TOTAL_SPELLINGS of a disaggregation (in any case and spacing)."""
    return norm(text) in _TOTAL


def user_column(fmt: str, scope: str, key: str) -> str:
    """The name a file of format ``fmt`` gives the field ``key`` of ``scope`` ("header",
    "indicator", "measure"): the bilingual label in a workbook, the column in a CSV file
    (``code``, ``comment`` for the data columns), the key in JSON."""
    if fmt == "xlsx":
        return label(scope, key)
    if fmt == "csv":
        return {"indicator_code": "code", "measure_code": "code", "narrative": "comment"}.get(key, key)
    return key
