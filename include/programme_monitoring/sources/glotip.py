"""Reading and checking a UNODC GLOTIP data export (``data/unodc/``, layout of 30 May 2023).

Layout (one worksheet): row 1 a UNODC banner (its e-mail cell is a HYPERLINK formula,
ignored), row 2 the release date (``30/05/2023``), row 3 the header ``Iso3_code`` ...
``Source``, then one row per published value. ``txtVALUE`` is text: a count, with or
without thousands separators (``2,077``), or a censoring mark (``<5``, a small count UNODC
does not publish exactly).

The blocking checks, all before anything is loaded (each refusal reason in English and
Russian, naming the cells):

* the container is safe (``report_format.file_safety``: zip bomb, DTD, damage);
* row 2 holds a release date; row 3 holds exactly the expected columns, in order;
* no data cell holds a formula; no value stands outside the 13 columns;
* ``Unit of measurement`` is one of ``UNITS`` (a new unit is a changed layout);
* ``Year`` is a whole number; indicator, dimension, sex, age, unit and value are filled in;
* ``txtVALUE`` is a count or a censoring mark (text where a count belongs is refused);
* one value per key (country, indicator, dimension, category, sex, age, year, unit) for
  the countries the warehouse compares (the member states). The release of 30 May 2023
  itself repeats keys of other countries with conflicting values (860 rows, mostly
  "Other forms of exploitation" of Albania and others): those are kept, all of them, and
  counted in ``Release.duplicate_rows_elsewhere``; a duplicate in a member state's rows
  refuses the release, since the warehouse could not say which value UNODC published.

The file is read once with openpyxl (read-only, formulas as written, so a formula is seen
as such and never as its cached result), row tuples into column arrays; the checks are
vectorised with pandas.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from programme_monitoring.report_format.file_safety import UnsafeFile, check_size, inspect_xlsx

EXPECTED_COLUMNS = (
    "Iso3_code",
    "Country",
    "Region",
    "Subregion",
    "Indicator",
    "Dimension",
    "Category",
    "Sex",
    "Age",
    "Year",
    "Unit of measurement",
    "txtVALUE",
    "Source",
)
# The raw table's names for them (raw.unodc_glotip_values), same order.
RAW_COLUMNS = (
    "iso3_code",
    "country",
    "region",
    "subregion",
    "indicator",
    "dimension",
    "category",
    "sex",
    "age",
    "year",
    "unit",
    "value_text",
    "source",
)
RELEASE_ROW, HEADER_ROW = 2, 3
UNITS = ("Counts",)
KEY = ("iso3_code", "indicator", "dimension", "category", "sex", "age", "year", "unit")
# Category is empty in 75 rows of the 2023 release ("by citizenship", citizenship unknown);
# Iso3_code in 26 (Sark), Country/Region/Subregion in 957: kept as published (NULL).
REQUIRED = ("indicator", "dimension", "sex", "age", "year", "unit", "value_text")
COUNT = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")
CENSORED = re.compile(r"<\d+")
MAX_REASONS = 20


@dataclass(frozen=True)
class Reason:
    """One refusal reason, in both languages."""

    en: str
    ru: str


class ReleaseRefused(ValueError):
    """The file is not a GLOTIP export of the known layout, or its data fail a blocking check."""

    def __init__(self, reasons: list[Reason]):
        super().__init__("; ".join(r.en for r in reasons))
        self.reasons = reasons


@dataclass
class Release:
    release_date: dt.date
    values: pd.DataFrame  # RAW_COLUMNS + source_row (the spreadsheet's row number)
    duplicate_rows_elsewhere: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.values)


def parse_count(text: str) -> int | None:
    """A published count as a number (``"2,077"`` -> 2077); None for a censoring mark."""
    return None if CENSORED.fullmatch(text) else int(text.replace(",", ""))


def read_release(path: Path, compared_iso3: Iterable[str]) -> Release:
    """Read and check a GLOTIP export; raise ReleaseRefused with every reason found."""
    path = Path(path)
    try:
        check_size(path, "xlsx")
        inspect_xlsx(path)
    except UnsafeFile as unsafe:
        raise ReleaseRefused([Reason(str(unsafe), f"файл небезопасен или повреждён: {unsafe}")]) from None
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise ReleaseRefused(
            [
                Reason(
                    f"not a readable .xlsx workbook ({type(exc).__name__})",
                    f"файл не читается как книга .xlsx ({type(exc).__name__})",
                )
            ]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        banner = [next(rows, ()) for _ in range(HEADER_ROW)]
        release_date = _release_date(banner[RELEASE_ROW - 1])
        _check_header(banner[HEADER_ROW - 1])
        data, numbers = [], []
        for number, row in enumerate(rows, start=HEADER_ROW + 1):
            if any(cell is not None for cell in row):
                data.append(row)
                numbers.append(number)
    finally:
        workbook.close()
    return _checked(data, numbers, release_date, set(compared_iso3))


def _release_date(row: tuple) -> dt.date:
    cell = row[0] if row else None
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = str(cell).strip() if cell is not None else ""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ReleaseRefused(
        [
            Reason(
                f"cell A{RELEASE_ROW} should hold the release date (DD/MM/YYYY), found {text[:40]!r}: "
                "not a GLOTIP export of the known layout",
                f"в ячейке A{RELEASE_ROW} должна стоять дата выпуска (ДД/ММ/ГГГГ), найдено {text[:40]!r}: "
                "это не выгрузка GLOTIP известного формата",
            )
        ]
    )


def _check_header(row: tuple) -> None:
    found = tuple("" if c is None else str(c).strip() for c in row)
    while found and not found[-1]:
        found = found[:-1]
    if found == EXPECTED_COLUMNS:
        return
    missing = [c for c in EXPECTED_COLUMNS if c not in found]
    unknown = [c for c in found if c and c not in EXPECTED_COLUMNS]
    detail_en = "; ".join(
        part
        for part in (
            f"missing: {', '.join(missing)}" if missing else "",
            f"unknown: {', '.join(unknown)}" if unknown else "",
            "" if missing or unknown else "the columns are in another order",
        )
        if part
    )
    detail_ru = "; ".join(
        part
        for part in (
            f"нет столбцов: {', '.join(missing)}" if missing else "",
            f"неизвестные столбцы: {', '.join(unknown)}" if unknown else "",
            "" if missing or unknown else "столбцы идут в другом порядке",
        )
        if part
    )
    raise ReleaseRefused(
        [
            Reason(
                f"row {HEADER_ROW} does not hold the expected GLOTIP columns ({detail_en}); expected "
                f"{', '.join(EXPECTED_COLUMNS)}. The layout changed: the connector must be updated "
                "before this release can be loaded",
                f"в строке {HEADER_ROW} не те столбцы GLOTIP ({detail_ru}); ожидались "
                f"{', '.join(EXPECTED_COLUMNS)}. Формат выгрузки изменился: загрузчик нужно "
                "доработать, прежде чем загружать этот выпуск",
            )
        ]
    )


def _cells(rows: pd.Series, column: str) -> str:
    letter = get_column_letter(RAW_COLUMNS.index(column) + 1)
    shown = [f"{letter}{n}" for n in rows.head(5)]
    return ", ".join(shown) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")


def _cells_ru(rows: pd.Series, column: str) -> str:
    letter = get_column_letter(RAW_COLUMNS.index(column) + 1)
    shown = [f"{letter}{n}" for n in rows.head(5)]
    return ", ".join(shown) + (f" и ещё {len(rows) - 5}" if len(rows) > 5 else "")


def _checked(data: list[tuple], numbers: list[int], release_date: dt.date, compared: set[str]) -> Release:
    width = len(EXPECTED_COLUMNS)
    reasons: list[Reason] = []
    wide = [n for n, row in zip(numbers, data, strict=True) if any(c is not None for c in row[width:])]
    if wide:
        reasons.append(
            Reason(
                f"rows {', '.join(map(str, wide[:5]))} hold values right of column M (Source), "
                "outside the GLOTIP columns",
                f"в строках {', '.join(map(str, wide[:5]))} есть значения правее столбца M (Source), "
                "вне столбцов GLOTIP",
            )
        )
    frame = pd.DataFrame([row[:width] for row in data], columns=list(RAW_COLUMNS), dtype=object)
    for missing in RAW_COLUMNS[frame.shape[1] :]:
        frame[missing] = None
    frame["source_row"] = numbers
    reasons += _formula_reasons(frame)
    if reasons:
        raise ReleaseRefused(reasons)
    reasons += _value_reasons(frame)
    if reasons:
        raise ReleaseRefused(reasons[:MAX_REASONS])
    frame["year"] = frame["year"].astype("int64")
    frame["value_text"] = frame["value_text"].map(_as_text)
    text_columns = [c for c in RAW_COLUMNS if c not in ("year", "value_text")]
    for column in text_columns:
        frame[column] = frame[column].map(_text_or_none, na_action="ignore")
    duplicated = frame.duplicated(list(KEY), keep=False)
    in_scope = frame["iso3_code"].isin(compared)
    clashes = frame[duplicated & in_scope]
    if len(clashes):
        rows = clashes["source_row"]
        raise ReleaseRefused(
            [
                Reason(
                    f"{len(clashes)} rows of member states repeat a key (country, indicator, dimension, "
                    f"category, sex, age, year, unit): rows {', '.join(map(str, rows.head(10)))}; one "
                    "value per key is expected",
                    f"{len(clashes)} строк по государствам-участникам повторяют ключ (страна, показатель, "
                    f"разрез, категория, пол, возраст, год, единица): строки "
                    f"{', '.join(map(str, rows.head(10)))}; по каждому ключу ожидается одно значение",
                )
            ]
        )
    return Release(release_date, frame, duplicate_rows_elsewhere=int((duplicated & ~in_scope).sum()))


def _formula_reasons(frame: pd.DataFrame) -> list[Reason]:
    reasons = []
    for column in RAW_COLUMNS:
        values = frame[column]
        is_formula = values.map(lambda v: (isinstance(v, str) and v.startswith("=")) or _odd_type(v))
        if is_formula.any():
            rows = frame.loc[is_formula, "source_row"]
            reasons.append(
                Reason(
                    f"cells {_cells(rows, column)} hold a formula: a published value must be typed, "
                    "not computed",
                    f"в ячейках {_cells_ru(rows, column)} формула: опубликованное значение должно быть "
                    "введено, а не вычислено",
                )
            )
    return reasons


def _odd_type(value: object) -> bool:
    """Array formulas and data tables come back as objects of their own."""
    return value is not None and not isinstance(value, str | int | float | dt.datetime)


def _value_reasons(frame: pd.DataFrame) -> list[Reason]:
    reasons = []
    for column in REQUIRED:
        empty = frame[column].map(lambda v: v is None or (isinstance(v, str) and not v.strip()))
        if empty.any():
            rows = frame.loc[empty, "source_row"]
            name = EXPECTED_COLUMNS[RAW_COLUMNS.index(column)]
            reasons.append(
                Reason(
                    f"{name} is empty in cells {_cells(rows, column)}",
                    f"не заполнен столбец {name}: ячейки {_cells_ru(rows, column)}",
                )
            )
    if reasons:
        return reasons
    units = frame["unit"].map(lambda v: str(v).strip())
    new_unit = ~units.isin(UNITS)
    if new_unit.any():
        found = ", ".join(sorted(set(units[new_unit]))[:5])
        rows = frame.loc[new_unit, "source_row"]
        reasons.append(
            Reason(
                f"unit of measurement {found!r} in cells {_cells(rows, 'unit')}: only {', '.join(UNITS)} is "
                "known; a new unit changes what the values mean, so the release is refused until the "
                "connector knows it",
                f"единица измерения {found!r} в ячейках {_cells_ru(rows, 'unit')}: известна только "
                f"{', '.join(UNITS)}; новая единица меняет смысл значений, выпуск не принят, пока "
                "загрузчик её не учтёт",
            )
        )
    bad_year = ~frame["year"].map(_whole_year)
    if bad_year.any():
        rows = frame.loc[bad_year, "source_row"]
        reasons.append(
            Reason(
                f"Year is not a year (a whole number 1900-2100) in cells {_cells(rows, 'year')}",
                f"в столбце Year не год (целое число 1900-2100): ячейки {_cells_ru(rows, 'year')}",
            )
        )
    bad_value = ~frame["value_text"].map(_count_or_censored)
    if bad_value.any():
        rows = frame.loc[bad_value, "source_row"]
        sample = ", ".join(repr(str(v)[:20]) for v in frame.loc[bad_value, "value_text"].head(3))
        reasons.append(
            Reason(
                f"txtVALUE is neither a count (e.g. 12 or 2,077) nor a censoring mark (e.g. <5) in cells "
                f"{_cells(rows, 'value_text')} ({sample})",
                f"txtVALUE не является ни числом (например, 12 или 2,077), ни отметкой о малом значении "
                f"(например, <5): ячейки {_cells_ru(rows, 'value_text')} ({sample})",
            )
        )
    return reasons


def _whole_year(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return float(value).is_integer() and 1900 <= value <= 2100


def _count_or_censored(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return float(value).is_integer() and value >= 0
    return isinstance(value, str) and bool(COUNT.fullmatch(value) or CENSORED.fullmatch(value))


def _as_text(value: object) -> str:
    """The value exactly as published: text as it stands, a number cell as its whole number."""
    return value if isinstance(value, str) else str(int(value))


def _text_or_none(value: object) -> str | None:
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None
