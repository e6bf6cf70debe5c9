"""write_blank_template: the form a ministry fills in, opened with openpyxl as Excel would
show it (protection, drop-down lists, validations and their alerts, rows), then filled in
as a clerk would and read back with parse_report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from programme_monitoring import cli
from programme_monitoring.reference import load_reference
from programme_monitoring.report_format.blank_template import template_members, write_blank_template
from programme_monitoring.report_format.reader import parse_report

REPORT, INDICATORS, MEASURES, INSTRUCTIONS = (
    "Отчёт | Report",
    "Показатели | Indicators",
    "Мероприятия | Measures",
    "Инструкция | Instructions",
)


def _validations(ws) -> list:
    return list(ws.data_validations.dataValidation)


def _covering(ws, cell: str):
    """The validations whose ranges hold the cell."""
    return [v for v in _validations(ws) if cell in v.sqref]


def _rows(ws) -> list[tuple]:
    return list(ws.iter_rows(min_row=2, values_only=True))


@pytest.fixture(scope="module")
def cr_2014(tmp_path_factory) -> Path:
    return write_blank_template("CR", 2014, tmp_path_factory.mktemp("template") / "CR_2014.xlsx")


def test_the_template_lists_the_reportable_indicators_and_due_measures(tmp_path: Path) -> None:
    reference = load_reference()
    for programme, year in (("THB", 2014), ("CR", 2014), ("IM", 2016)):
        workbook = openpyxl.load_workbook(
            write_blank_template(programme, year, tmp_path / f"{programme}.xlsx")
        )
        assert workbook.sheetnames == [REPORT, INDICATORS, MEASURES, INSTRUCTIONS]
        totals = [row for row in _rows(workbook[INDICATORS]) if row[2] == "total"]
        assert [row[0] for row in totals] == [
            c
            for c in reference.indicators.indicator_code
            if c in reference.reportable_indicators(programme, year)
        ]
        assert all(row[3] is None for row in totals)
        codes = {row[0] for row in _rows(workbook[MEASURES])}
        assert codes == reference.measures_due(programme, year)
        header = {row[0]: row[1] for row in workbook[REPORT].iter_rows(values_only=True)}
        assert (
            header["Программа / Programme"] == programme and header["Отчётный год / Reporting year"] == year
        )
        notes = " ".join(str(c) for row in workbook[INSTRUCTIONS].iter_rows(values_only=True) for c in row)
        assert "ILLUSTRATIVE" in notes


@pytest.mark.parametrize(
    ("programme", "year", "message"),
    [
        ("IM", 2014, "программа IM действует в 2015–2019 годах: шаблона на 2014 год нет / "
                     "programme IM runs 2015-2019: there is no template for 2014"),
        ("THB", 2019, "programme THB runs 2014-2018: there is no template for 2019"),
        ("xx", 2014, "неизвестная программа 'xx'.* / unknown programme 'xx': use one of CR, IM, THB"),
    ],
)  # fmt: skip
def test_a_programme_or_year_that_does_not_apply_is_refused(tmp_path, programme, year, message) -> None:
    with pytest.raises(ValueError, match=message):
        write_blank_template(programme, year, tmp_path / "t.xlsx")
    assert not (tmp_path / "t.xlsx").exists()


def test_the_command_refuses_with_a_message_not_a_traceback(tmp_path, capsys) -> None:
    assert (
        cli.main(["template", "--programme", "IM", "--year", "2030", "--output", str(tmp_path / "t.xlsx")])
        == 1
    )
    assert "there is no template for 2030" in capsys.readouterr().err
    missing = tmp_path / "no" / "such" / "folder" / "t.xlsx"
    assert cli.main(["template", "--programme", "CR", "--year", "2014", "--output", str(missing)]) == 1
    assert "does not exist: create it" in capsys.readouterr().err


def test_the_structure_is_protected_and_only_value_cells_are_open(cr_2014: Path) -> None:
    workbook = openpyxl.load_workbook(cr_2014)
    assert workbook.security.lockStructure, "sheets cannot be added, renamed or removed"
    assert all(ws.protection.sheet for ws in workbook.worksheets)
    report = workbook[REPORT]
    open_cells = {c.coordinate for row in report.iter_rows() for c in row if not c.protection.locked}
    assert open_cells == {"B2", "B3", "B6", "B7"}  # state, authority, submission date, version
    ws = workbook[INDICATORS]
    assert ws["A1"].protection.locked and ws["A2"].protection.locked and ws["C2"].protection.locked
    assert not ws["D2"].protection.locked and not ws["E2"].protection.locked
    last = ws.max_row
    assert not any(ws.cell(last, column).protection.locked for column in range(1, 6)), "breakdown rows open"
    measures = workbook[MEASURES]
    assert measures["A2"].protection.locked and measures["B2"].protection.locked
    assert not measures["C2"].protection.locked and not measures["D2"].protection.locked


def test_lists_and_rules_have_their_error_alerts_on(cr_2014: Path) -> None:
    workbook = openpyxl.load_workbook(cr_2014)
    report, ws, measures = workbook[REPORT], workbook[INDICATORS], workbook[MEASURES]
    for sheet in (report, ws, measures):
        assert all(v.showErrorMessage and v.error for v in _validations(sheet)), sheet.title
    (state,) = _covering(report, "B2")
    assert (
        state.type == "list"
        and state.formula1 == '"' + ",".join(load_reference().participants("CR", 2014)) + '"'
    )
    (date,) = _covering(report, "B6")
    assert (date.type, date.operator, date.errorStyle) == ("date", "between", "stop")
    (version,) = _covering(report, "B7")
    assert version.type == "whole"
    (value,) = _covering(ws, "D2")
    assert (value.type, value.operator, value.formula1, value.errorStyle) == (
        "whole",
        "greaterThanOrEqual",
        "0",
        "stop",
    )
    (status,) = _covering(measures, "C2")
    assert (
        status.type == "list" and "выполнено / implemented" in status.formula1 and status.errorStyle == "stop"
    )
    last = ws.max_row
    (indicator,) = _covering(ws, f"A{last}")
    assert indicator.type == "list" and indicator.formula1 == '"IM01,IM02,IM05,CR01,CR02,CR03"'
    breakdown = next(v for v in _covering(ws, f"C{last}") if v.type == "list")
    assert breakdown.formula1.startswith("'Инструкция | Instructions'!$D$")


def test_every_breakdown_and_member_is_listed_in_both_languages(cr_2014: Path) -> None:
    workbook = openpyxl.load_workbook(cr_2014)
    notes = [row for row in workbook[INSTRUCTIONS].iter_rows(values_only=True)]
    written = {row[3]: row for row in notes if row[3] and "=" in str(row[3])}
    # CR 2014: domain (CR01), operation (CR02, CR03), article, route (IM01, IM02), sex, citizenship (IM05).
    for dimension in ("domain", "operation", "article", "route", "sex", "citizenship"):
        assert any(key.startswith(dimension + "=") for key in written), dimension
    assert written["domain=THB"][1:3] == ("направление", "domain")
    assert written["domain=THB"][4] == "торговля людьми / trafficking in persons"
    assert written["citizenship=KAZ"][4] == "Республика Казахстан / Republic of Kazakhstan"
    assert written["sex=female"][4] == "женщины / female"
    # The drop-down of the breakdown rows is exactly the listed members.
    ws = workbook[INDICATORS]
    rule = next(v for v in _covering(ws, f"C{ws.max_row}") if v.type == "list")
    first, last = (int(part.rsplit("$", 1)[1]) for part in rule.formula1.split("!")[1].split(":"))
    listed = [workbook[INSTRUCTIONS].cell(n, 4).value for n in range(first, last + 1)]
    assert "domain=THB" in listed and "citizenship=KAZ" in listed and all("…" not in v for v in listed)
    states = {row[0] for row in notes if row[0] in load_reference().state_codes}
    assert states >= set(load_reference().participants("CR", 2014))


def test_joint_operations_get_rows_not_only_a_total(cr_2014: Path, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(cr_2014)[INDICATORS]
    rows = _rows(ws)
    at = [row[0] for row in rows].index("CR02")
    assert rows[at][2] == "total"
    operation_rows = range(at + 3, at + 3 + 20)  # the sheet rows just below CR02's total
    rules = [v for v in _covering(ws, f"C{operation_rows[0]}") if v.type == "custom"]
    assert rules and "LEFT(" in rules[0].formula1 and '"operation="' in rules[0].formula1 and rules[0].prompt
    assert all(f"C{n}" in rules[0].sqref for n in operation_rows)
    # Operation codes known when the template is made become rows of their own.
    extra = pd.DataFrame(
        [("operation", "SPO-2014-01", "операция 1", "operation 1")],
        columns=["dimension", "member", "label_ru", "label_en"],
    )
    members = pd.concat([template_members(load_reference()), extra])
    path = write_blank_template("CR", 2014, tmp_path / "ops.xlsx", members=members)
    ws = openpyxl.load_workbook(path)[INDICATORS]
    keys = [(row[0], row[2]) for row in _rows(ws)]
    assert ("CR02", "operation=SPO-2014-01") in keys and ("CR03", "operation=SPO-2014-01") in keys


def test_a_template_filled_in_by_a_clerk_reads_back(cr_2014: Path, tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(cr_2014)
    report, ws, measures = workbook[REPORT], workbook[INDICATORS], workbook[MEASURES]
    report["B2"], report["B3"] = "KZ", "МВД Республики Казахстан (SYNTHETIC)"
    report["B6"], report["B7"] = dt.datetime(2015, 2, 20), 1
    rows = {row[0]: n for n, row in enumerate(_rows(ws), start=2) if row[2] == "total"}
    ws.cell(rows["CR01"], 4).value = 7
    ws.cell(rows["CR02"], 4).value = 1
    ws.cell(rows["CR02"] + 1, 1).value = "CR02"  # the first operation row below the total
    ws.cell(rows["CR02"] + 1, 3).value = "operation=SPO-2014-01"
    ws.cell(rows["CR02"] + 1, 4).value = 1
    free = ws.max_row
    ws.cell(free, 1).value, ws.cell(free, 3).value, ws.cell(free, 4).value = "CR01", "domain=THB", 3
    for n in range(2, measures.max_row + 1):  # every measure due needs its status
        measures.cell(n, 3).value = "выполнено / implemented" if n == 2 else "перенесено / postponed"
    filled = tmp_path / "filled.xlsx"
    workbook.save(filled)

    parsed = parse_report(filled)
    assert (parsed.header.state_code, parsed.header.reporting_year, parsed.header.submission_date) == (
        "KZ", 2014, dt.date(2015, 2, 20),
    )  # fmt: skip
    values = {
        (r.indicator_code, r.disaggregation): (None if pd.isna(r.value) else int(r.value))
        for r in parsed.indicator_values.itertuples()
    }
    assert values[("CR01", "total")] == 7 and values[("CR01", "domain=THB")] == 3
    assert values[("CR02", "total")] == 1 and values[("CR02", "operation=SPO-2014-01")] == 1
    assert values[("CR03", "total")] is None  # left empty: not reported, not zero
    assert len(values) == len(parsed.indicator_values), "empty operation and breakdown rows are not rows"
    assert list(parsed.measures.status) == ["implemented"] + ["postponed"] * (len(parsed.measures) - 1)
