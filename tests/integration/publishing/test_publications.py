"""The headline figures and the Council report read from real marts: a fresh embedded
PostgreSQL with the small hand-made fixture (``dev.warehouse_fixture``) built by dbt.

No DAG runs here (those are in ``tests/e2e/publishing``): what the publications read,
store and compare, against the marts they were read from.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import json

import psycopg
import pytest
from programme_monitoring.dev.warehouse_fixture import load_fixture


@pytest.fixture(scope="module")
def marts(own_warehouse, run_dbt_in_process):
    """The module's own PostgreSQL with the fixture rows and the marts built by dbt."""
    url, base = own_warehouse
    load_fixture(url)
    result = run_dbt_in_process("build", "--exclude", "resource_type:test", "resource_type:unit_test")
    assert result.exception is None and result.success, result.exception
    return url, base


@pytest.fixture(scope="module")
def edition(marts):
    from programme_monitoring.publishing.council.editions import write_council_report

    _, base = marts
    return write_council_report(2014, output_dir=base / "council_2014")


def _query(url: str, sql: str, params=None):
    with psycopg.connect(url) as conn:
        cursor = conn.execute(sql, params)
        return [c.name for c in cursor.description], cursor.fetchall()


def test_headline_report_is_the_mart_with_the_seed_s_columns(marts):
    from programme_monitoring.publishing.headline import write_headline_report
    from programme_monitoring.reference import load_reference

    url, base = marts
    report = write_headline_report(base / "headline")
    columns, rows = _query(url, "select * from marts.rpt_headline_figures order by reporting_year")
    with report.csv_path.open(encoding="utf-8") as stream:
        written = list(csv.DictReader(stream))
    assert list(written[0]) == ["reporting_year", *load_reference().headline_labels("en"), "reports_used"]
    assert set(written[0]) == set(columns)
    assert [r["crimes_identified"] for r in written] == [
        str(r[columns.index("crimes_identified")]) for r in rows
    ]
    html = report.html_path.read_text(encoding="utf-8")
    assert "<td>2014</td>" in html and "<td>1,075</td>" in html  # 700 + 300 + 50 + 25
    assert "Выявлено преступлений, связанных с торговлей людьми и незаконной миграцией" in html


def _normal(value):
    """One comparable form for a mart value and its spreadsheet cell."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return value


def _same(a, b) -> bool:
    a, b = _normal(a), _normal(b)
    if a == "" and b is None:  # a spreadsheet keeps no empty text: an empty comment reads back empty
        return True
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) < 1e-9
    return a == b


def test_annex_equals_the_marts(edition, marts):
    from openpyxl import load_workbook
    from programme_monitoring.publishing.council.annex import SHEETS, header_of

    url, _ = marts
    workbook = load_workbook(edition.files["annex.xlsx"], read_only=True)
    expected = [
        "headline",
        "implementation",
        "indicators",
        "unodc",
        "not_reported",
        "completeness",
        "coverage",
        "findings",
        "finding_statuses",
    ]
    assert workbook.sheetnames == [SHEETS[k] for k in ("edition", *expected, "report_versions", "revisions")]
    compared = 0
    for key in expected:
        columns, rows = _query(url, edition.sections[key].sql, {"year": 2014})
        cells = list(workbook[SHEETS[key]].iter_rows(values_only=True))
        assert list(cells[0]) == header_of(edition.sections[key].mart, columns), key
        assert all("\n" in h for h in cells[0]), key  # every column named in Russian and English
        assert len(cells) - 1 == len(rows), key
        for mart_row, sheet_row in zip(rows, cells[1:], strict=True):
            for column, a, b in zip(columns, mart_row, sheet_row, strict=True):
                assert _same(a, b), (key, column, a, b)
                compared += 1
    assert compared > 100
    assert len(list(workbook[SHEETS["completeness"]].iter_rows())) > 1  # every mart exists: none optional

    columns, rows = _query(
        url,
        """select distinct reporting_year, state_code, programme_code, source_file, report_id,
                  report_version from marts.fct_indicator_values
           union select distinct reporting_year, state_code, programme_code, source_file, report_id,
                  report_version from marts.fct_measure_implementation""",
    )
    versions = list(workbook[SHEETS["report_versions"]].iter_rows(values_only=True))
    assert list(versions[0]) == header_of("fct_indicator_values", columns)
    assert sorted(versions[1:]) == sorted(tuple(r) for r in rows)


def test_edition_records_as_of_and_report_versions(edition, marts):
    url, _ = marts
    stored = json.loads(edition.files["edition.json"].read_text(encoding="utf-8"))
    _, [(loaded_at,)] = _query(url, "select max(loaded_at) from raw.report_headers")
    assert dt.datetime.fromisoformat(stored["as_of"]) == loaded_at
    used_2014 = {v["source_file"] for v in stored["report_versions"] if v["reporting_year"] == 2014}
    # the superseded RU THB v1 is not behind any figure
    assert used_2014 == {f"{r}.xlsx" for r in ("ru-thb-2014-v2", "kz-thb-2014-v1")} | {
        f"{s}-cr-2014-v1.xlsx" for s in ("ru", "kz", "by")
    }
    assert stored["headline"]["2014"]["crimes_identified"] == 1075
    html = edition.files["ru.html"].read_text(encoding="utf-8")
    assert "по состоянию на" in html  # the as-of moment is stated once, in the edition's description ...
    assert html.count("Источник: отчёты государств (5)") >= 5  # ... each table's note is short ...
    assert ".xlsx" not in html.replace("annex.xlsx", "")  # ... and the files are listed in the annex
    assert "1\u00a0075" in html  # figures grouped the Russian way


def test_completeness_and_findings_sections_read_their_marts(edition):
    english = edition.files["en.html"].read_text(encoding="utf-8")
    assert "Did not report:" in english and "Reported late:" in english
    assert "not available in this warehouse build" not in english.lower()
    assert "Validation findings and where their review stands" in english and "under review" not in english
    # the fixture's authorities are the sample generator's "(SYNTHETIC)" ones: every figure is marked
    assert edition.data.synthetic_reports == edition.data.reports == 6  # the superseded version is not used
    assert "SYNTHETIC DATA" in english and "Every figure in this edition comes from generated" in english


def test_a_new_edition_lists_the_figures_revised_since_the_last(edition):
    from programme_monitoring.publishing.council.editions import write_council_report

    stored_path = edition.files["edition.json"]
    stored = json.loads(stored_path.read_text(encoding="utf-8"))
    # As if the previous edition had published 1000 crimes and had not had THB01 of Russia.
    headline = stored["figures"]["headline"]
    column = headline["columns"].index("crimes_identified")
    for row in headline["rows"]:
        if row[0] == 2014:
            row[column] = 1000
    indicators = stored["figures"]["indicators"]
    i = indicators["columns"]
    indicators["rows"] = [
        r
        for r in indicators["rows"]
        if not (r[i.index("state_code")] == "RU" and r[i.index("indicator_code")] == "THB01")
    ]
    stored_path.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")

    again = write_council_report(2014, languages=("ru",), output_dir=edition.output_dir)
    revised = {(r["table"], r["column"]): r for r in again.revisions}
    assert revised[("headline", "crimes_identified")]["previous"] == 1000
    assert revised[("headline", "crimes_identified")]["current"] == 1075
    assert revised[("indicators", "value")]["key"]["state_code"] == "RU"
    assert revised[("indicators", "value")]["previous"] is None
    assert len(again.revisions) == 3  # the crimes, and Russia's THB01 value and is_reported
    assert (
        again.revision_summary("en") == "1 value revised; headline figures changed: 1"
    )  # as a reader counts
    assert list((again.output_dir / "editions").glob("edition_*.json"))
    russian = again.files["ru.html"].read_text(encoding="utf-8")
    assert "Изменённые показатели по сравнению с изданием" in russian
    # The edition after that one, on the same marts, has nothing revised.
    assert write_council_report(2014, languages=("en",), output_dir=edition.output_dir).revisions == []


def test_an_edition_in_one_language_replaces_every_file_of_the_one_before(edition):
    """The folder holds one edition: asked for English alone, the edition also renders the
    Russian the replaced one had, and every file in the folder is the one edition.json names."""
    from programme_monitoring.publishing.council.editions import write_council_report

    folder = edition.output_dir
    again = write_council_report(2014, languages=("en",), output_dir=folder)
    stored = json.loads((folder / "edition.json").read_text(encoding="utf-8"))
    assert stored["languages"] == ["ru", "en"] and stored["generated_at"] == again.generated_at
    on_disk = {p.name: p for p in folder.iterdir() if p.is_file() and p.name != "edition.json"}
    assert set(on_disk) == set(stored["files_sha256"])
    assert set(on_disk) == {"ru.html", "ru.pdf", "en.html", "en.pdf", "annex.xlsx"}
    for name, path in on_disk.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == stored["files_sha256"][name], name


def test_the_command_says_in_both_languages_which_languages_it_rendered_and_why(marts, capsys):
    from programme_monitoring.cli import main

    assert main(["council-report", "--year", "2014", "--lang", "ru"]) == 0
    first = capsys.readouterr().out
    assert "Доклад Совету за 2014 год" in first and "Council report 2014" in first
    assert "ru.pdf" in first and "en.pdf" not in first and "also in" not in first
    assert main(["council-report", "--year", "2014", "--lang", "en"]) == 0
    second = capsys.readouterr().out
    assert "en.pdf" in second and "ru.pdf" in second
    assert "также на языке ru: он был в заменяемой редакции" in second
    assert "also in ru: the edition it replaces had it, and the folder holds one edition" in second
    assert "с редакции от" in second and "since the edition of" in second


def test_a_year_without_figures_is_refused(marts):
    from programme_monitoring.publishing.council.editions import write_council_report

    _, base = marts
    with pytest.raises(ValueError, match="No figures for 2030: the marts hold 2014–2015"):
        write_council_report(2030, output_dir=base / "council_2030")
    assert not (base / "council_2030").exists()  # nothing left behind


def test_council_report_command_refuses_a_year_without_figures(marts, capsys):
    from programme_monitoring.cli import main

    assert main(["council-report", "--year", "2030"]) == 1
    err = capsys.readouterr().err
    assert "Нет показателей за 2030 год: в витринах есть годы 2014–2015." in err
    assert "No figures for 2030: the marts hold 2014–2015." in err
    assert "Traceback" not in err


def test_coverage_mart_counts_the_states_behind_each_figure(marts, edition):
    url, _ = marts
    columns, rows = _query(
        url,
        "select programme_code, indicator_code, states_reporting from marts.rpt_headline_figures_coverage "
        "where reporting_year = 2014 and headline_column = 'crimes_identified' order by 1, 2",
    )
    _, states = _query(
        url,
        "select programme_code, indicator_code, count(distinct state_code) from marts.fct_indicator_values "
        "where reporting_year = 2014 and indicator_code in ('THB01', 'IM01') and is_reported "
        "and value is not null group by 1, 2 order by 1, 2",
    )
    assert rows == states and rows
    english = edition.files["en.html"].read_text(encoding="utf-8")
    assert "Comparability: which reports make up each figure" in english


def test_an_edition_that_fails_half_way_leaves_the_previous_one_whole(edition, monkeypatch):
    # The disk fills while the English PDF is written, after the Russian files were rendered.
    import hashlib

    from programme_monitoring.publishing.council import editions

    folder = edition.output_dir
    editions.write_council_report(2014, output_dir=folder)  # a whole edition in both languages

    def files() -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    before = files()
    rendered: list[str] = []
    write_pdf = editions.write_pdf

    def disk_full_at_english_pdf(html: str, target) -> None:
        rendered.append(target.name)
        if target.name == "en.pdf":
            raise OSError(28, "No space left on device")
        write_pdf(html, target)

    monkeypatch.setattr(editions, "write_pdf", disk_full_at_english_pdf)
    with pytest.raises(OSError, match="No space left"):
        editions.write_council_report(2014, output_dir=folder)
    assert rendered == ["ru.pdf", "en.pdf"]
    assert files() == before  # not a mix of two editions, no history entry, nothing left aside
    monkeypatch.undo()

    again = editions.write_council_report(2014, output_dir=folder)
    stored = json.loads(again.files["edition.json"].read_text(encoding="utf-8"))
    assert stored["files_sha256"] == {
        name: hashlib.sha256(path.read_bytes()).hexdigest()
        for name, path in again.files.items()
        if name != "edition.json"
    }
    assert set(stored["files_sha256"]) == {"ru.html", "ru.pdf", "en.html", "en.pdf", "annex.xlsx"}


def test_a_rendering_removes_what_a_killed_one_left_but_not_another_one_s_under_way(edition):
    import os
    import time

    from programme_monitoring.publishing.council import editions

    folder = edition.output_dir
    killed, under_way = folder / f"{editions.STAGING_PREFIX}killed", folder / f"{editions.STAGING_PREFIX}busy"
    for staging in (killed, under_way):
        staging.mkdir()
        (staging / "ru.pdf").write_bytes(b"%PDF half")
    hours_ago = time.time() - 2 * editions.STAGING_ABANDONED_SECONDS
    os.utime(killed, (hours_ago, hours_ago))
    editions.write_council_report(2014, languages=("en",), output_dir=folder)
    assert not killed.exists()
    assert (under_way / "ru.pdf").read_bytes() == b"%PDF half"
