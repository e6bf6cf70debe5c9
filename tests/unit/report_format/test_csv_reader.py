"""The CSV reader reads in chunks, each rule applied once per distinct value of a column.

pyarrow's C++ reader reads every file (fast); Python's csv module re-reads one it cannot
parse (exact field counts, a quote left open, to name the line). Both must read every file to the same
report and refuse every bad file with the same rows, columns and reasons, whatever the
chunk size; the tests force the exact reader to compare them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from programme_monitoring.report_format import collector, csv_reader
from programme_monitoring.report_format.labels import CSV_COLUMNS
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import ReportFormatError
from report_files import refused

HEAD = "KZ,МВД Республики Казахстан,THB,2014,2015-02-14,1"
GOOD = [
    ",".join(CSV_COLUMNS),
    f'{HEAD},indicator,THB01,total,"1 234",,"two lines:\nсведения уточняются"',
    "",
    f"{HEAD},indicator,THB02, Sex = female ,5,,",
    ",,,,,,,,,,,",
    f"{HEAD},indicator,thb02,sex=male,не представлено,,'=1+2",
    f"{HEAD},indicator,THB04,всего,0,,",
    f'{HEAD},measure,01.1.1,,,выполнено,"Проведено совещание, КоАП"',
    f"{HEAD},measure,2.1.1,,,in progress,",
]


def write(path: Path, lines: list[str], final_line_break: bool = True, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + ("\n" if final_line_break else "")).encode(encoding))
    return path


def read_both(tmp_path: Path, lines: list[str], encoding: str = "utf-8", monkeypatch=None):
    """(fast reader result, exact reader result): a ParsedReport or the ReportFormatError."""
    path = write(tmp_path / "r.csv", lines, True, encoding)
    results = []
    for exact in (False, True):
        with pytest.MonkeyPatch.context() as patch:
            if exact:
                patch.setattr(csv_reader._CsvChunks, "read_fast", csv_reader._CsvChunks.read_exact)
            try:
                results.append(parse_report(path))
            except ReportFormatError as error:
                results.append(error)
    return results


def same_report(a, b) -> None:
    assert a.header == b.header
    pd.testing.assert_frame_equal(a.indicator_values, b.indicator_values)
    pd.testing.assert_frame_equal(a.measures, b.measures)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
def test_both_readers_read_the_same_report(tmp_path: Path, encoding: str) -> None:
    fast, exact = read_both(tmp_path, GOOD, encoding)
    same_report(fast, exact)
    values = fast.indicator_values
    assert values.source_row.tolist() == [2, 5, 7, 8]  # line 2 spans two lines; blank rows skipped
    assert values.indicator_code.tolist() == ["THB01", "THB02", "THB02", "THB04"]
    assert values.disaggregation.tolist() == ["total", "sex=female", "sex=male", "total"]
    assert values.value.tolist() == [1234, 5, pd.NA, 0]
    assert values.is_reported.tolist() == [True, True, False, True]
    assert values.comment.tolist() == ["two lines:\nсведения уточняются", "", "=1+2", ""]
    assert fast.measures.source_row.tolist() == [9, 10]
    assert fast.measures.status.tolist() == ["implemented", "in_progress"]
    assert fast.measures.narrative.tolist() == ["Проведено совещание, КоАП", ""]


BAD_ROWS = {
    "header_differs": (3, "KZ,МВД,THB,2014,2015-02-14,1,indicator,THB02,sex=female,5,,", 5, "authority"),
    "year_differs": (
        3,
        f"{HEAD.replace('2014', '2015', 1)},indicator,THB02,sex=female,5,,",
        5,
        "reporting_year",
    ),
    "unknown_part": (3, f"{HEAD},indikator,THB02,sex=female,5,,", 5, "part"),
    "status_on_indicator": (3, f"{HEAD},indicator,THB02,sex=female,5,выполнено,", 5, "status"),
    "value_on_measure": (7, f"{HEAD},measure,01.1.1,,3,выполнено,", 9, "value"),
    "code_missing": (3, f"{HEAD},indicator, ,sex=female,5,,", 5, "code"),
    "decimal_value": (6, f'{HEAD},indicator,THB04,total,"1,5",,', 8, "value"),
    "no_dimension": (3, f"{HEAD},indicator,THB02,female,5,,", 5, "disaggregation"),
    "bad_status": (8, f"{HEAD},measure,2.1.1,,,done,", 10, "status"),
    "mojibake": (6, f"{HEAD},indicator,THB04,total,0,,Ð¡Ð»Ð¾Ð²Ð¾", 8, "comment"),
    "bad_date_first_row": (1, "KZ,МВД,THB,2014,31.02.2015,1,indicator,THB01,,1,,", 2, "submission_date"),
}


@pytest.mark.parametrize("case", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_both_readers_refuse_the_same_row_for_the_same_reason(tmp_path: Path, case) -> None:
    index, line, row, column = case
    lines = list(GOOD)
    lines[index] = line
    fast, exact = read_both(tmp_path, lines)
    assert isinstance(fast, ReportFormatError) and isinstance(exact, ReportFormatError)
    assert fast.lines() == exact.lines()
    assert (fast.row, fast.column) == (row, column)


def test_every_problem_is_named_in_file_order(tmp_path: Path) -> None:
    lines = list(GOOD)
    lines[6] = f"{HEAD},indicator,THB04,total,abc,,"  # line 8
    lines[3] = f"{HEAD},indicator,THB02,female,5,,"  # line 5: earlier, found by a later rule
    for result in read_both(tmp_path, lines):
        assert [(p.row, p.column) for p in result.problems] == [(5, "disaggregation"), (8, "value")]
        assert "'abc' — не целое число" in result.problems[1].ru


def test_many_bad_rows_give_at_most_50_problems_and_a_count_of_the_rest(tmp_path: Path) -> None:
    lines = [GOOD[0], *(f"{HEAD},indicator,THB02,sex=female,x{n},," for n in range(120))]
    for result in read_both(tmp_path, lines):
        assert len(result.problems) == 50 and result.more == 70
        assert [p.row for p in result.problems] == list(range(2, 52))
        assert result.lines()[-1] == "and 70 more problems / и ещё 70 проблем(ы)"


def test_chunk_boundaries_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = read_both(tmp_path, GOOD)
    monkeypatch.setattr(csv_reader, "CSV_CHUNK_ROWS", 2)
    for chunked, reference in zip(read_both(tmp_path, GOOD), whole, strict=True):
        same_report(chunked, reference)  # line numbers run on across chunks and multi-line fields
    lines = list(GOOD)
    lines[7] = f"{HEAD},measure,01.1.1,,,maybe,"
    for result in read_both(tmp_path, lines):
        assert (result.row, result.column) == (9, "status")


def test_too_many_fields_are_refused_naming_the_row_in_both_readers(tmp_path: Path) -> None:
    lines = list(GOOD)
    lines[6] += ",extra"
    for result in read_both(tmp_path, lines):
        assert (result.row, result.reason) == (8, "the row has 13 fields, the heading 12")
        assert result.reason_ru == "в строке 13 полей, в строке заголовков 12"


def test_a_well_formed_file_is_read_by_the_fast_reader_alone(tmp_path: Path, monkeypatch) -> None:
    """Blank lines, rows of empty fields, line breaks and quotes inside fields, a BOM or
    Windows-1251: none of them sends the file to the slow exact reader."""

    def exact(*_args) -> None:
        raise AssertionError("the exact reader was used")

    monkeypatch.setattr(csv_reader._CsvChunks, "read_exact", exact)
    for encoding in ("utf-8", "utf-8-sig", "cp1251"):
        report = parse_report(write(tmp_path / "r.csv", GOOD, encoding=encoding))
        assert report.indicator_values.source_row.tolist() == [2, 5, 7, 8]


def test_codes_come_out_as_python_strings_and_free_text_as_pyarrow_strings(tmp_path: Path) -> None:
    """pandas 3 turns text into pyarrow strings by default, which the suites would turn back, a
    million values at a time: codes and breakdowns stay ``object``. Free text, which only the
    COPY reads, stays pyarrow's (as the XLSX and JSON readers give it): one buffer, not a
    Python string per row that pyarrow would later copy to UTF-8 inside it."""
    report = parse_report(write(tmp_path / "r.csv", GOOD))
    values, measures = report.indicator_values, report.measures
    for column in (values.source_sheet, values.indicator_code):
        assert column.dtype == object and all(isinstance(v, str | None) for v in column), column.name
    assert isinstance(values.disaggregation.dtype, pd.CategoricalDtype)
    assert values.disaggregation.cat.categories.dtype == object
    for column in (values.comment, measures.narrative):
        assert column.dtype == "str" and column.array._pa_array.type in (pa.string(), pa.large_string())
    assert values.comment.tolist()[0] == "two lines:\nсведения уточняются"
    assert values.comment.tolist()[2] == "=1+2"  # written "'=1+2" against spreadsheet formulas


def test_a_row_with_fewer_fields_is_refused_naming_the_row_in_both_readers(tmp_path: Path) -> None:
    """The fast reader used to pad such a row with empty fields; now both name it."""
    lines = list(GOOD)
    lines[6] = lines[6].removesuffix(",")  # line 8: 11 fields
    for result in read_both(tmp_path, lines):
        assert (result.row, result.reason) == (8, "the row has 11 fields, the heading 12")


def test_a_last_field_ending_with_a_line_break_inside_quotes_reads_the_same(tmp_path: Path) -> None:
    """A closed quote whose text ends with a line break, in the last row, looks like a quote
    left open to the fast reader: the exact reader decides, and reads it."""
    lines = [*GOOD[:-1], f'{HEAD},measure,2.1.1,,,in progress,"идёт\n"']
    fast, exact = read_both(tmp_path, lines)
    same_report(fast, exact)
    assert fast.measures.source_row.tolist() == [9, 10]


def test_a_quote_left_open_is_refused_in_both_readers(tmp_path: Path) -> None:
    lines = [*GOOD, f'{HEAD},indicator,THB05,total,1,,"not closed']
    for result in read_both(tmp_path, lines):
        assert isinstance(result, ReportFormatError) and "quote is not closed" in result.reason
        assert result.row == 11


def test_more_rows_than_the_limit_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector, "MAX_DATA_ROWS", 5)
    for result in read_both(tmp_path, GOOD):
        assert isinstance(result, ReportFormatError) and "more than 5 data rows" in result.reason


def test_utf8_with_byte_order_mark(tmp_path: Path) -> None:
    lines = [
        ",".join(CSV_COLUMNS),
        f'{HEAD},indicator,THB01,,"1 234",,Комментарий',
        f"{HEAD},measure,1.1.1,,,выполняется,идёт",
    ]
    for report in read_both(tmp_path, lines, encoding="utf-8-sig"):
        assert report.header.state_code == "KZ"
        assert report.indicator_values[["value", "source_row"]].values.tolist() == [[1234, 2]]
        assert report.measures[["measure_code", "status", "narrative", "source_row"]].values.tolist() == [
            ["1.1.1", "in_progress", "идёт", 3]
        ]


def test_an_unknown_column_is_refused_with_its_name(tmp_path: Path) -> None:
    heading = ",".join(CSV_COLUMNS).replace("value", "valeu")
    error = refused(write(tmp_path / "r.csv", [heading, f"{HEAD},x"]))
    assert error.column == "valeu" and error.row == 1 and "valeu" in str(error) and "r.csv" in str(error)


class RecordingSink:
    """A ``collector.ValuesSink`` keeping what it is handed."""

    def __init__(self) -> None:
        self.chunks: list[tuple[object, pd.DataFrame]] = []
        self.forgotten = 0

    def add(self, header, values: pd.DataFrame) -> None:
        self.chunks.append((header, values))

    def forget(self) -> None:
        self.forgotten += 1
        self.chunks.clear()


def test_a_values_sink_gets_every_chunk_of_values_as_read(tmp_path: Path, monkeypatch) -> None:
    """What the head start COPYs while the file is read: the chunks, in order, make the
    report's values; a file the fast reader gives up on is forgotten before it is read again."""
    monkeypatch.setattr(csv_reader, "CSV_CHUNK_ROWS", 2)
    sink = RecordingSink()
    report = parse_report(write(tmp_path / "r.csv", GOOD), values_sink=sink)
    assert len(sink.chunks) > 1 and sink.forgotten == 0
    assert all(header == report.header for header, _ in sink.chunks)
    sent = pd.concat([values for _, values in sink.chunks], ignore_index=True)
    columns = ["source_row", "indicator_code", "disaggregation", "value", "is_reported", "comment"]
    assert sent[columns].astype(str).equals(report.indicator_values[columns].astype(str))

    lines = list(GOOD)
    lines[6] += ",extra"  # the fast reader stops at it; the exact reader refuses the file
    sink = RecordingSink()
    with pytest.raises(ReportFormatError):
        parse_report(write(tmp_path / "bad.csv", lines), values_sink=sink)
    assert sink.forgotten == 1
