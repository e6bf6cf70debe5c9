"""The yearly report to the Council of Heads of State, on the session's real chain.

The 2014 edition must show the figures of the 2014 statement in both languages and the
PDF must carry text in Russian and English and the charts as images; the command and
the DAG render any year. What the edition reads from and stores against the marts (the
annex, as-of date, revisions) is tested on a database alone in ``tests/integration/publishing``.
"""

from __future__ import annotations

import json
import re

import pytest
from pdf_text import pdf_text
from programme_monitoring.reference import load_reference
from programme_monitoring.settings import paths


@pytest.fixture(scope="module")
def edition(chain_run):
    from programme_monitoring.publishing.council.editions import write_council_report

    return write_council_report(2014)


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
    for lang in ("en", "ru"):
        labels = load_reference().headline_labels(lang)
        for path in (edition.output_dir / f"{lang}.pdf", edition.output_dir / f"{lang}.html"):
            text = (
                pdf_text(path) if path.suffix == ".pdf" else re.sub(r"<[^>]+>", " ", path.read_text("utf-8"))
            )
            text = _digits_joined(text)
            for key, value in statement_2014.items():
                label = r"\s+".join(map(re.escape, labels[key].split()))
                # label | 2013 (no reports: —) | 2014 | change
                assert re.search(label + r"\s+—\s+" + str(value) + r"\b", text), (lang, path.name, key)


def test_pdf_text_is_in_each_language(edition):
    russian = pdf_text(edition.output_dir / "ru.pdf")
    english = pdf_text(edition.output_dir / "en.pdf")
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


def test_command_renders_any_year_in_one_language(chain_run):
    from programme_monitoring.cli import main

    assert main(["council-report", "--year", "2016", "--lang", "en"]) == 0
    folder = paths().reports / "council_report_2016"
    assert (folder / "en.pdf").exists() and not (folder / "ru.pdf").exists()
    assert "Crimes" in pdf_text(folder / "en.pdf")


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


def test_the_real_edition_speaks_the_reader_s_language(edition):
    """On the chain's real findings and reports: no identifier of the warehouse in the text."""
    import html as markup

    raw = {
        "snake_case name": r"\b[a-z]+_[a-z0-9_]+\b",
        "schema-qualified mart": r"\bmarts\.",
        "key=value": r"\b[a-z_]+=\w",
        "long decimal": r"\d[.,]\d{6,}",
        "ISO date": r"\b\d{4}-\d{2}-\d{2}\b",
        "file name": r"(?<!annex)\.(xlsx|csv|json)\b",
    }
    for lang in ("ru", "en"):
        page = (edition.output_dir / f"{lang}.html").read_text(encoding="utf-8")
        page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
        text = markup.unescape(re.sub(r"<[^>]+>", " ", page))
        checks = raw | ({"English word": r"\b(warning|error|total)\b"} if lang == "ru" else {})
        for what, pattern in checks.items():
            found = re.findall(pattern, text)
            assert not found, (lang, what, found[:5])
    assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in (edition.output_dir / "ru.html").read_text(encoding="utf-8")
