"""The yearly report to the Council of Heads of State, on the session's real chain.

The 2014 edition must show the figures of the 2014 statement in both languages, the
PDF must carry text in Russian and English and the charts as images, and the XLSX
annex must equal the marts it was read from.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re

import psycopg
import pytest
from programme_monitoring.publishing.headline import HEADLINE_LABELS
from programme_monitoring.settings import paths

# The annex sheets that are mart rows, each with the test's own query of the same mart.
MART_SHEETS = {
    "headline": "select * from marts.rpt_headline_figures order by reporting_year",
    "implementation": "select * from marts.rpt_programme_implementation where reporting_year = 2014 "
    "order by programme_code, state_code",
    "indicators": "select state_code, programme_code, reporting_year, indicator_code, value, is_reported, "
    "comment, report_id, source_file, report_version from marts.fct_indicator_values "
    "where reporting_year = 2014 and disaggregation = 'total' "
    "order by programme_code, indicator_code, state_code",
    "not_reported": "select state_code, programme_code, reporting_year, indicator_code, disaggregation, "
    "comment, report_id, source_file, report_version from marts.fct_indicator_values "
    "where reporting_year = 2014 and not is_reported "
    "order by programme_code, state_code, indicator_code, disaggregation",
}


@pytest.fixture(scope="module")
def edition(chain_run):
    from programme_monitoring.publishing.council.report import write_council_report

    return write_council_report(2014)


def _query(url: str, sql: str):
    with psycopg.connect(url) as conn:
        cursor = conn.execute(sql)
        return [c.name for c in cursor.description], cursor.fetchall()


def _pdf_text(path) -> str:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return text


def _digits_joined(text: str) -> str:
    """Thousands separators (narrow no-break spaces, commas) removed between digits."""
    return re.sub(r"(?<=\d)[\u202f\u00a0 ,](?=\d{3}\b)", "", text)


def test_edition_files_are_written_where_the_council_expects_them(edition):
    folder = paths().reports / "council_report_2014"
    assert edition.output_dir == folder
    for name in ("ru.pdf", "en.pdf", "ru.html", "en.html", "annex.xlsx", "edition.json"):
        assert (folder / name).stat().st_size > 0, name
        assert (folder / name).read_bytes()[:4] != b""


def test_2014_edition_shows_the_statement_figures(edition, statement_2014):
    stored = json.loads((edition.output_dir / "edition.json").read_text(encoding="utf-8"))
    assert {k: stored["headline"]["2014"][k] for k in statement_2014} == statement_2014
    for lang, column in (("en", 0), ("ru", 1)):
        for path in (edition.output_dir / f"{lang}.pdf", edition.output_dir / f"{lang}.html"):
            text = (
                _pdf_text(path) if path.suffix == ".pdf" else re.sub(r"<[^>]+>", " ", path.read_text("utf-8"))
            )
            text = _digits_joined(text)
            for key, value in statement_2014.items():
                label = r"\s+".join(map(re.escape, HEADLINE_LABELS[key][column].split()))
                # label | 2013 (no reports: —) | 2014 | change
                assert re.search(label + r"\s+—\s+" + str(value) + r"\b", text), (lang, path.name, key)


def test_pdf_text_is_in_each_language(edition):
    russian = _pdf_text(edition.output_dir / "ru.pdf")
    english = _pdf_text(edition.output_dir / "en.pdf")
    assert "Выявлено преступлений" in russian
    assert "Совету глав государств" in russian
    assert "Российская Федерация" in russian
    assert "Crimes" in english and "Russian Federation" in english
    assert "Council of Heads of State" in english
    assert "Выявлено" not in english


def test_pdf_embeds_the_charts_and_they_are_drawn(edition):
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    from PIL import ImageStat

    for lang in ("ru", "en"):
        document = pdfium.PdfDocument(edition.output_dir / f"{lang}.pdf")
        charts = 0
        for page in document:
            images = list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)))
            if not images:
                continue
            rendered = page.render(scale=1).to_pil().convert("L")
            height = page.get_height()
            for image in images:
                left, bottom, right, top = image.get_bounds()
                region = rendered.crop((int(left), int(height - top), int(right), int(height - bottom)))
                assert region.width > 300 and region.height > 100
                # a chart is lines, bars and text on white: not a blank region
                assert ImageStat.Stat(region).stddev[0] > 20, lang
                darker = sum(1 for p in region.getdata() if p < 200)
                assert darker / (region.width * region.height) > 0.01, lang
                charts += 1
        document.close()
        assert charts == 2, lang


def _normal(value):
    """One comparable form for a mart value and its spreadsheet cell."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, float) and value.is_integer():
        return value
    return value


def _same(a, b) -> bool:
    a, b = _normal(a), _normal(b)
    if a == "" and b is None:  # a spreadsheet keeps no empty text: an empty comment reads back empty
        return True
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9
    return a == b


def test_annex_equals_the_marts(edition, warehouse_url):
    from openpyxl import load_workbook

    workbook = load_workbook(edition.output_dir / "annex.xlsx", read_only=True)
    sheets = set(workbook.sheetnames)
    expected_marts = dict(MART_SHEETS)
    with psycopg.connect(warehouse_url) as conn:
        present = {
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            )
        }
    if "rpt_reporting_completeness" in present:
        expected_marts["completeness"] = None
    if "rpt_validation_findings" in present:
        expected_marts["findings"] = None
    assert sheets == set(expected_marts) | {"edition", "report_versions", "revisions"}
    stored = json.loads((edition.output_dir / "edition.json").read_text(encoding="utf-8"))
    compared = 0
    for sheet_name in expected_marts:
        # Optional marts (owned elsewhere, columns may grow): the edition's own query of the same mart.
        sql = MART_SHEETS.get(sheet_name) or stored["figures"][sheet_name]["sql"].replace("%(year)s", "2014")
        columns, rows = _query(warehouse_url, sql)
        cells = list(workbook[sheet_name].iter_rows(values_only=True))
        assert list(cells[0]) == columns, sheet_name
        assert len(cells) - 1 == len(rows), sheet_name
        for mart_row, sheet_row in zip(rows, cells[1:], strict=True):
            for column, a, b in zip(columns, mart_row, sheet_row, strict=True):
                assert _same(a, b), (sheet_name, column, a, b)
                compared += 1
    assert compared > 1000

    columns, rows = _query(
        warehouse_url,
        """select distinct reporting_year, state_code, programme_code, source_file, report_id,
                  report_version from marts.fct_indicator_values
           union select distinct reporting_year, state_code, programme_code, source_file, report_id,
                  report_version from marts.fct_measure_implementation""",
    )
    versions = list(workbook["report_versions"].iter_rows(values_only=True))
    assert list(versions[0]) == columns
    assert sorted(versions[1:]) == sorted(tuple(r) for r in rows)


def test_edition_records_as_of_and_report_versions(edition, warehouse_url):
    stored = json.loads((edition.output_dir / "edition.json").read_text(encoding="utf-8"))
    _, (row,) = _query(warehouse_url, "select max(loaded_at) from raw.report_headers")
    assert dt.datetime.fromisoformat(stored["as_of"]) == row[0]
    used_2014 = {v["source_file"] for v in stored["report_versions"] if v["reporting_year"] == 2014}
    _, rows = _query(warehouse_url, "select source_file from raw.report_headers where reporting_year = 2014")
    assert used_2014 == {r[0] for r in rows}
    assert all(v["report_version"] >= 1 and len(v["report_id"]) == 64 for v in stored["report_versions"])
    html = (edition.output_dir / "ru.html").read_text(encoding="utf-8")
    # every table states the as-of date and the versions it used
    assert html.count("Данные по состоянию на") >= 6
    assert html.count("Использованные версии отчётов") >= 5
    assert "RU_THB_2014_v1" in html


def test_completeness_section_reads_the_mart_or_says_it_is_missing(edition, warehouse_url):
    with psycopg.connect(warehouse_url) as conn:
        present = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' "
            "and table_name = 'rpt_reporting_completeness'"
        ).fetchone()[0]
    english = (edition.output_dir / "en.html").read_text(encoding="utf-8")
    if present:
        assert "Reported late" in english and "not available in this warehouse build" not in english.lower()
    else:
        assert "Not available in this warehouse build (the mart marts.rpt_reporting_completeness" in english


def test_a_new_edition_lists_the_figures_revised_since_the_last(edition):
    from programme_monitoring.publishing.council.report import write_council_report

    stored_path = edition.output_dir / "edition.json"
    stored = json.loads(stored_path.read_text(encoding="utf-8"))
    # As if the previous edition had published 2700 crimes and had not had THB01 of Russia.
    headline = stored["figures"]["headline"]
    column = headline["columns"].index("crimes_identified")
    for row in headline["rows"]:
        if row[0] == 2014:
            row[column] = 2700
    indicators = stored["figures"]["indicators"]
    i = indicators["columns"]
    indicators["rows"] = [
        r
        for r in indicators["rows"]
        if not (r[i.index("state_code")] == "RU" and r[i.index("indicator_code")] == "THB01")
    ]
    stored_path.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")

    again = write_council_report(2014)
    revised = {(r["table"], r["column"]): r for r in again.revisions}
    assert revised[("headline", "crimes_identified")]["previous"] == 2700
    assert revised[("headline", "crimes_identified")]["current"] == 2731
    assert revised[("indicators", "value")]["key"]["state_code"] == "RU"
    assert revised[("indicators", "value")]["previous"] is None
    assert len(again.revisions) == 3  # the crimes, and Russia's THB01 value and is_reported
    assert list((again.output_dir / "editions").glob("edition_*.json"))
    russian = (again.output_dir / "ru.html").read_text(encoding="utf-8")
    assert "Изменённые показатели по сравнению с изданием" in russian
    # The edition after that one, on the same marts, has nothing revised.
    assert write_council_report(2014).revisions == []


def test_formula_like_text_is_stored_as_text(tmp_path):
    from openpyxl import load_workbook
    from programme_monitoring.publishing.council.report import Edition, Section, write_annex

    section = Section("indicators", "fct_indicator_values", "select ...", ["state_code"])
    section.columns = ["state_code", "comment", "value"]
    section.rows = [
        ("RU", '=HYPERLINK("http://x","y")', 1),
        ("BY", "+1", -5),
        ("KZ", "@SUM(A1)", 0),
        ("AM", "-2", None),
    ]
    edition = Edition(2014, None, "now", {"indicators": section}, [], [], None, tmp_path)
    write_annex(edition, tmp_path / "annex.xlsx")
    sheet = load_workbook(tmp_path / "annex.xlsx")["indicators"]
    comments = [sheet.cell(row, 2) for row in range(2, 6)]
    assert [c.value for c in comments] == ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2"]
    assert all(c.data_type == "s" and c.quotePrefix for c in comments)
    assert sheet.cell(3, 3).value == -5 and sheet.cell(3, 3).data_type == "n"


def test_command_renders_any_year_in_one_language(chain_run):
    from programme_monitoring.cli import main

    assert main(["council-report", "--year", "2016", "--lang", "en"]) == 0
    folder = paths().reports / "council_report_2016"
    assert (folder / "en.pdf").exists() and not (folder / "ru.pdf").exists()
    assert "Crimes" in _pdf_text(folder / "en.pdf")


def test_dag_runs_yearly_and_on_republished_marts_and_renders_the_chosen_year(chain_run):
    from airflow.sdk import AssetOrTimeSchedule
    from programme_monitoring.orchestration.local_runs import load_dags
    from programme_monitoring.orchestration.names import COUNCIL_REPORT_DAG, MARTS_URI
    dag = load_dags().dags[COUNCIL_REPORT_DAG]
    assert isinstance(dag.timetable, AssetOrTimeSchedule) or "AssetOrTime" in type(dag.timetable).__name__
    assert MARTS_URI in {a.uri for a in dag.timetable.asset_condition.objects}
    assert dag.catchup is False and "reports" in dag.tags
    assert all(t.retries >= 1 for t in dag.tasks)
    run = dag.test(run_conf={"year": 2015})
    assert str(run.state) == "success"
    folder = paths().reports / "council_report_2015"
    assert (folder / "ru.pdf").exists() and (folder / "en.pdf").exists() and (folder / "annex.xlsx").exists()
    assert json.loads((folder / "edition.json").read_text(encoding="utf-8"))["reporting_year"] == 2015
