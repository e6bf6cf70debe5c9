"""Files made to fool, crash or stall the reader (issue 16): one real file per case, each
refused with every problem named at its place (sheet, row, column) and what to fix, in
English and Russian; or read to the canonical form where the difference is harmless."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from programme_monitoring.report_format.labels import CSV_COLUMNS
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import ReportFormatError
from programme_monitoring.report_format.writer import write_report
from report_files import HEADER, HEADER_ROWS, MEASURES, VALUES, refused, write_xlsx

HEADING = ",".join(CSV_COLUMNS)
HEAD = "KZ,МВД Республики Казахстан,THB,2014,2015-02-14,1"


def csv_file(tmp_path: Path, rows: list[str], head: str = HEAD, name: str = "r.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADING, *(f"{head},{row}" for row in rows)]) + "\n", encoding="utf-8")
    return path


def json_file(tmp_path: Path, text: str, name: str = "r.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def json_report(tmp_path: Path, edit=None) -> Path:
    """A JSON report written by write_report, its text then changed by ``edit(text)``."""
    path = write_report(HEADER, VALUES[:1], MEASURES[:1], tmp_path / "r.json", "json")
    if edit:
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def xlsx_report(path: Path, values: list[tuple], setup=None) -> Path:
    heading = ("Код показателя", "Разбивка", "Значение", "Комментарий")
    return write_xlsx(path, {"Отчёт": HEADER_ROWS, "Показатели": [heading, *values]}, setup)


def with_text(path: Path, placeholder: str, text: str) -> Path:
    """Put ``text`` in place of ``placeholder`` in the workbook's XML, as a tool other than
    openpyxl (which refuses control characters) could write it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename).replace(placeholder.encode(), text.encode()))
    path.write_bytes(buffer.getvalue())
    return path


def places(error: ReportFormatError) -> list[tuple]:
    return [(p.sheet, p.row, p.column) for p in error.problems]


# --- numbers: nothing accepted can overflow ---------------------------------------------------


def test_counts_beyond_64_bits_or_the_unit_ceiling_are_refused_each_at_its_cell(tmp_path: Path) -> None:
    error = refused(
        csv_file(
            tmp_path,
            [
                "indicator,THB01,total,99999999999999999999,,",  # 20 digits: beyond bigint
                "indicator,THB02,total,9223372036854775807,,",  # bigint's maximum: 19 digits
                "indicator,THB04,total,10000001,,",  # persons: over the ceiling of 10,000,000
                "indicator,CR02,total,10001,,",  # operations: over 10,000
                "indicator,THB05,total,10000000,,",  # at the ceiling: fine
            ],
        )
    )
    assert places(error) == [("", 2, "value"), ("", 3, "value"), ("", 4, "value"), ("", 5, "value")]
    assert "at most 18 digits" in error.problems[0].en and "не более 18 цифр" in error.problems[0].ru
    assert "largest plausible value for this indicator (10,000,000)" in error.problems[2].en
    assert "наибольшего правдоподобного значения" in error.problems[2].ru
    assert "(10,000)" in error.problems[3].en


def test_a_json_integer_of_thousands_of_digits_is_refused_not_a_crash(tmp_path: Path) -> None:
    # Python refuses to convert an integer string of more than 4,300 digits (ValueError)
    path = json_report(tmp_path, lambda text: text.replace('"value": 1234', '"value": ' + "7" * 5000))
    error = refused(path)
    assert places(error) == [("indicator_values", 1, "value")]
    assert "a number of 5000 digits" in error.reason and "число из 5000 цифр" in error.reason_ru


def test_deeply_nested_json_is_refused_before_parsing(tmp_path: Path) -> None:
    error = refused(
        json_file(tmp_path, '{"template_version": 1, "header": ' + "[" * 100_000 + "]" * 100_000 + "}")
    )
    assert "nested 100001 levels deep" in error.reason and "вложены на 100001 уровней" in error.reason_ru


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_year_and_version_out_of_range_give_one_message_each_and_no_cascade(tmp_path: Path, fmt: str) -> None:
    if fmt == "csv":
        rows = [f"indicator,THB0{n},total,{n},," for n in (1, 2, 4, 5, 6)] + ["measure,1.1.1,,,выполнено,"]
        path = csv_file(tmp_path, rows, head="KZ,МВД,THB,2147483648,2015-02-14,99999999999")
    else:
        path = json_report(
            tmp_path,
            lambda t: t.replace('"reporting_year": 2014', '"reporting_year": 2147483648').replace(
                '"version": 1', '"version": 99999999999'
            ),
        )
    error = refused(path)
    assert [p.column for p in error.problems] == ["reporting_year", "version"]  # nothing per row
    assert (
        "the reporting year 2147483648 is out of range: write a whole number from 1991 to 2100"
        in error.reason
    )
    assert error.reason_ru == (
        "отчётный год 2147483648 вне допустимого диапазона: укажите целое число от 1991 до 2100"
    )
    assert "from 1 to 999" in error.problems[1].en and "от 1 до 999" in error.problems[1].ru


def test_json_nan_and_infinity_are_refused(tmp_path: Path) -> None:
    error = refused(json_report(tmp_path, lambda text: text.replace('"value": 1234', '"value": NaN')))
    assert "no NaN or Infinity" in error.reason and "без NaN и Infinity" in error.reason_ru


# --- XLSX: bounded reading time, nothing hidden, no formulas --------------------------------


def _formatted_cells_at_xfd(workbook, rows: int = 50) -> None:
    from openpyxl.styles import Font

    for row in range(1, rows):
        workbook["Показатели"].cell(row=row, column=16384).font = Font(bold=True)


def test_empty_formatted_cells_at_column_xfd_are_not_read(tmp_path: Path, monkeypatch) -> None:
    """Each row of this sheet reaches column XFD (16,384 columns): the reader builds rows of
    columns A to Z only, so reading time follows the file's size (bench/bench_xlsx_wide.py:
    2,000 such rows took 24 s before, as long as a plain sheet now)."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    widths: list[int] = []
    get_row = ReadOnlyWorksheet._get_row
    monkeypatch.setattr(
        ReadOnlyWorksheet, "_get_row", lambda *a, **k: widths.append(len(row := get_row(*a, **k))) or row
    )
    values = [("THB01", "", 5), ("THB02", "sex=female", 3)]
    path = write_xlsx(
        tmp_path / "r.xlsx",
        {"Отчёт": HEADER_ROWS, "Показатели": [("Код показателя", "Разбивка", "Значение"), *values]},
        setup=_formatted_cells_at_xfd,
    )
    assert parse_report(path).indicator_values.value.tolist() == [5, 3]
    assert widths and max(widths) <= 26


def test_a_value_beyond_column_z_is_refused_naming_the_cell(tmp_path: Path) -> None:
    def far(workbook) -> None:
        workbook["Показатели"]["XFD3"] = 7

    error = refused(xlsx_report(tmp_path / "r.xlsx", [("THB01", "", 5), ("THB02", "", 3)], setup=far))
    assert places(error) == [("Показатели", 3, "XFD")]
    assert "beyond column Z" in error.reason and "за столбцом Z" in error.reason_ru


def test_data_in_a_hidden_row_or_column_is_refused_naming_it(tmp_path: Path) -> None:
    values = [("THB01", "", 5, ""), ("THB02", "", 3, ""), ("THB04", "", 2, "")]

    def hide_row(workbook) -> None:
        workbook["Показатели"].row_dimensions[3].hidden = True

    error = refused(xlsx_report(tmp_path / "r.xlsx", values, setup=hide_row))
    assert places(error) == [("Показатели", 3, "")]
    assert "the row is hidden but holds data" in error.reason and "строка скрыта" in error.reason_ru

    def hide_column(workbook) -> None:
        workbook["Показатели"].column_dimensions["C"].hidden = True

    error = refused(xlsx_report(tmp_path / "r.xlsx", values, setup=hide_column))
    assert places(error)[:2] == [("Показатели", 1, "C"), ("Показатели", 2, "C")]
    assert "the column is hidden" in error.reason and "столбец скрыт" in error.reason_ru

    def hide_empty_rows(workbook) -> None:  # hidden, but empty: nothing is kept from anyone
        for row in (10, 11):
            workbook["Показатели"].row_dimensions[row].hidden = True
        workbook["Показатели"].column_dimensions["H"].hidden = True

    assert (
        len(parse_report(xlsx_report(tmp_path / "r.xlsx", values, setup=hide_empty_rows)).indicator_values)
        == 3
    )


# --- text that would break the outputs ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "point"),
    [("a\x0bb", "U+000B"), ("red \x1b[31m text", "U+001B"), ("x\x85y", "U+0085"),
     ("abc\u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE"), ("a\rb", "U+000D")],
)  # fmt: skip
def test_control_characters_in_text_are_refused_naming_row_column_and_code_point(
    tmp_path: Path, text: str, point: str
) -> None:
    values = [{**VALUES[0], "comment": "ok"}, {**VALUES[1], "comment": text}]
    error = refused(write_report(HEADER, values, MEASURES, tmp_path / "r.json", "json"))
    assert places(error) == [("indicator_values", 2, "comment")]
    assert point in error.reason and "invisible control character" in error.reason
    assert point in error.reason_ru and "управляющий символ" in error.reason_ru

    # In a workbook: C0 controls cannot stand in XML (the workbook is refused as damaged;
    # Excel writes them as the text "_x000B_", which openpyxl reads as that text), a lone CR
    # reads as a line break; the others are refused at their cell.
    rows = [("THB01", "", 1, "ok"), ("THB02", "", 2, "PLACEHOLDER")]
    path = with_text(xlsx_report(tmp_path / "r.xlsx", rows), "PLACEHOLDER", text)
    if "\r" not in text:
        error = refused(path)
        if ord(min(text)) >= 0x20:
            assert places(error) == [("Показатели", 3, "Комментарий")]
            assert point in error.reason and point in error.reason_ru


def test_tabs_and_line_breaks_stay_in_long_text_but_not_in_codes_or_the_authority(tmp_path: Path) -> None:
    values = [{**VALUES[0], "comment": "line one\r\nline two\tend"}]
    report = parse_report(write_report(HEADER, values, MEASURES, tmp_path / "r.json", "json"))
    assert report.indicator_values.comment.tolist() == ["line one\r\nline two\tend"]
    header = HEADER.__class__(**{**HEADER.__dict__, "authority": "МВД\nРК"})
    error = refused(write_report(header, values, MEASURES, tmp_path / "r.json", "json"))
    assert places(error) == [("header", None, "authority")] and "U+000A" in error.reason


def test_text_longer_than_its_limit_is_refused(tmp_path: Path) -> None:
    error = refused(csv_file(tmp_path, ["indicator,THB01,total,1,," + "я" * 4001]))
    assert places(error) == [("", 2, "comment")]
    assert "4001 characters long: at most 4000" in error.reason and "не более 4000" in error.reason_ru


# --- ambiguity -------------------------------------------------------------------------------


def test_duplicate_json_keys_are_refused_at_any_level_naming_each(tmp_path: Path) -> None:
    text = (
        '{"template_version": 1, "header": {"state": "KZ", "state": "AM", "authority": "МВД", '
        '"programme": "THB", "reporting_year": 2014, "submission_date": "2015-02-14", "version": 1}, '
        '"indicator_values": [{"indicator_code": "THB01", "value": 1}, '
        '{"indicator_code": "THB02", "value": 1, "value": 100}], "measures": [], "measures": []}'
    )
    error = refused(json_file(tmp_path, text))
    assert places(error) == [
        ("", None, "measures"),
        ("header", None, "state"),
        ("indicator_values", 2, "value"),
    ]
    assert "appears more than once" in error.reason and "указан в объекте несколько раз" in error.reason_ru


# --- code lists --------------------------------------------------------------------------------


def test_codes_are_read_in_their_canonical_form(tmp_path: Path) -> None:
    rows = [
        "indicator,CR02,operation=spo-2014-01,1,,",
        "indicator,CR02,operation=SPO-2014-01,1,,",
        "indicator,THB02,SEX=Female,1,,",
        "indicator,THB02,citizenship=kz,1,,",
        "indicator,THB02,citizenship=Stateless,1,,",
        "indicator,THB02,age_group=18+,1,,",
    ]
    values = parse_report(csv_file(tmp_path, rows, head=HEAD.replace("KZ", "kz", 1)))
    assert values.header.state_code == "KZ"
    assert values.indicator_values.disaggregation.tolist() == [
        "operation=SPO-2014-01", "operation=SPO-2014-01", "sex=female", "citizenship=KZ",
        "citizenship=stateless", "age_group=18+",
    ]  # fmt: skip


def test_members_outside_the_code_list_are_refused_naming_the_allowed_ones(tmp_path: Path) -> None:
    rows = [
        "indicator,THB02,sex=unknown,1,,",
        "indicator,THB02,form_of_exploitation=slavery,1,,",
        "indicator,THB02,citizenship=XX,1,,",
        "indicator,CR02,operation=операция 5,1,,",
        "indicator,THB02,colour=red,1,,",
    ]
    error = refused(csv_file(tmp_path, rows))
    assert places(error) == [("", n, "disaggregation") for n in range(2, 7)]
    sex, forms, country, operation, dimension = error.problems
    assert sex.en == "'unknown' is not a sex in the code list: write female, male"
    assert sex.ru == "'unknown' — нет в перечне («пол»): укажите female, male"
    assert "sexual, labour, begging" in forms.en and "sexual, labour, begging" in forms.ru
    assert "ISO 3166-1 alpha-2" in country.en and "код страны ISO 3166-1 alpha-2" in country.ru
    assert "a code like" in operation.en and "код вида" in operation.ru
    assert "unknown dimension 'colour': use one of sex, age_group" in dimension.en
    assert "неизвестное измерение 'colour'" in dimension.ru


def test_look_alike_letters_are_refused_showing_their_code_points(tmp_path: Path) -> None:
    error = refused(csv_file(tmp_path, ["indicator,THB02,sex=m\u0430le,1,,"]))  # Cyrillic "а"
    assert places(error) == [("", 2, "disaggregation")]
    assert "'а' = U+0430 CYRILLIC SMALL LETTER A" in error.reason
    assert "'а' = U+0430 CYRILLIC SMALL LETTER A" in error.reason_ru

    error = refused(csv_file(tmp_path, ["indicator,THB01,total,1,,"], head=HEAD.replace("KZ", "\u041aZ", 1)))
    assert places(error) == [("", 2, "state")]
    assert "'К' = U+041A CYRILLIC CAPITAL LETTER KA" in error.reason and "latin" not in error.reason_ru
    assert "латиницей, например KZ" in error.reason_ru

    rows = ["indicator,ТНВ01,total,1,,"]  # Cyrillic Т, Н, В
    error = refused(csv_file(tmp_path, rows))
    assert places(error) == [("", 2, "code")] and "U+0422 CYRILLIC CAPITAL LETTER TE" in error.reason


# --- encodings ---------------------------------------------------------------------------------


def test_a_windows_1252_csv_is_refused_asking_for_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    text = f"{HEADING}\nKZ,Ministère de l'Intérieur,THB,2014,2015-02-14,1,indicator,THB01,total,1,,\n"
    path.write_bytes(text.encode("cp1252"))  # read as Windows-1251 it would say "Ministиre de l'Intйrieur"
    error = refused(path)
    assert "save it as 'CSV UTF-8'" in error.reason and "сохраните его как «CSV UTF-8»" in error.reason_ru
    path.write_bytes(text.replace("Ministère de l'Intérieur", "Министерство внутренних дел").encode("cp1251"))
    assert parse_report(path).header.authority == "Министерство внутренних дел"


# --- messages ------------------------------------------------------------------------------------


def test_every_problem_of_a_file_is_listed_once_translated_and_placed(tmp_path: Path) -> None:
    rows = [
        "indicator,THB01,total,сто,,",
        "indicator,THB02,sex=female,1.5,,",
        "indicator,THB04,total,5,,",
        "measure,1.1.1,,,готово,",
    ]
    error = refused(csv_file(tmp_path, rows))
    assert places(error) == [("", 2, "value"), ("", 3, "value"), ("", 5, "status")]
    assert error.problems[0].ru.startswith("'сто' — не целое число: запишите цифрами")
    assert "is not" not in " ".join(p.ru for p in error.problems)
    assert all("row" not in p.en and "строк" not in p.ru for p in error.problems)  # the place is said once
    lines = error.lines()
    assert lines[0].startswith("row/строка 2, column/столбец 'value': 'сто' is not a whole number")


@pytest.mark.parametrize("fmt", ["xlsx", "json"])
def test_at_most_50_problems_then_a_count_of_the_rest(tmp_path: Path, fmt: str) -> None:
    values = [{**VALUES[0], "disaggregation": f"sex=s{n}"} for n in range(80)]
    error = refused(write_report(HEADER, values, MEASURES, tmp_path / f"r.{fmt}", fmt))
    assert len(error.problems) == 50 and error.more == 30
    assert error.lines()[-1] == "and 30 more problems / и ещё 30 проблем(ы)"


def test_a_header_field_with_problems_stops_the_reading_of_rows(tmp_path: Path) -> None:
    rows = [list(row) for row in HEADER_ROWS]
    rows[3] = ["Отчётный год", "две тысячи"]
    path = write_xlsx(
        tmp_path / "r.xlsx",
        {"Отчёт": rows, "Показатели": [("Код показателя", "Значение"), ("THB01", "x"), ("THB02", "y")]},
    )
    error = refused(path)
    assert places(error) == [("Отчёт", 4, "B")]
    assert "'две тысячи' is not a whole number" in error.reason
    assert "Отчётный год / Reporting year" not in error.reason  # the place is the cell, said once


def test_a_file_that_vanishes_or_is_a_folder_is_refused_not_a_crash(tmp_path: Path) -> None:
    error = refused(tmp_path / "gone.csv")
    assert (
        "could not be read (FileNotFoundError)" in error.reason and "не удалось прочитать" in error.reason_ru
    )
    (tmp_path / "folder.json").mkdir()
    assert "could not be read" in refused(tmp_path / "folder.json").reason
