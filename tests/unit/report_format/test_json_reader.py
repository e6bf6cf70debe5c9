"""The JSON reader: exact keys, problems named by section, entry and key."""

from __future__ import annotations

import json
from pathlib import Path

from programme_monitoring.report_format.writer import write_report
from report_files import HEADER, MEASURES, VALUES, refused


def edited(tmp_path: Path, edit) -> Path:
    """A report written by write_report as JSON, then changed by ``edit(doc)``."""
    path = write_report(HEADER, VALUES[:1], MEASURES[:1], tmp_path / "r.json", "json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_an_unknown_key_is_refused_naming_section_entry_and_key(tmp_path: Path) -> None:
    error = refused(edited(tmp_path, lambda doc: doc["measures"][0].update(colour="red")))
    assert (error.sheet, error.row, error.column) == ("measures", 1, "colour")
    assert "expected measure_code, status, narrative" in error.reason


def test_a_required_key_is_refused_when_missing_null_when_not_reported(tmp_path: Path) -> None:
    error = refused(edited(tmp_path, lambda doc: doc["indicator_values"][0].pop("value")))
    assert (error.sheet, error.row, error.column) == ("indicator_values", 1, "value")
    assert "use null for a value not reported" in error.reason


def test_the_template_version_must_be_1(tmp_path: Path) -> None:
    error = refused(edited(tmp_path, lambda doc: doc.update(template_version=2)))
    assert error.column == "template_version" and error.reason == "template_version must be 1"


def test_a_document_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text("[]", encoding="utf-8")
    assert refused(tmp_path / "r.json").reason == (
        "the JSON must be an object with template_version, header, indicator_values, measures"
    )
