"""A refused file's problems as findings: every one, in both languages, at its place."""

from __future__ import annotations

from pathlib import Path

from programme_monitoring.quality.findings import reading_findings
from programme_monitoring.report_format.labels import CSV_COLUMNS, user_column
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import ReportFormatError


def test_every_problem_of_a_refused_file_becomes_a_finding_then_the_count_of_the_rest(tmp_path: Path) -> None:
    head = "KZ,МВД,THB,2014,2015-02-14,1"
    rows = [
        f"{head},indicator,THB01,total,сто,,",
        *(f"{head},indicator,THB02,sex=x{n},1,," for n in range(60)),
    ]
    path = tmp_path / "r.csv"
    path.write_text("\n".join([",".join(CSV_COLUMNS), *rows]) + "\n", encoding="utf-8")
    try:
        parse_report(path)
    except ReportFormatError as error:
        findings = reading_findings(error)
    assert len(findings) == 51
    first, last = findings[0], findings[-1]
    assert (first.source_row, first.column, first.rule) == (2, "value", "report_format")
    assert first.reason_ru.startswith("'сто' — не целое число")
    assert first.describe().startswith("row 2, column 'value': 'сто' is not a whole number")
    assert (last.source_row, last.column) == (None, "") and "и ещё 11 проблем" in last.reason_ru


def test_columns_are_named_as_each_format_names_them() -> None:
    assert user_column("xlsx", "header", "state") == "Государство / State"
    assert user_column("csv", "indicator", "indicator_code") == "code"
    assert user_column("csv", "measure", "narrative") == "comment"
    assert user_column("json", "indicator", "indicator_code") == "indicator_code"
