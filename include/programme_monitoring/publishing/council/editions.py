"""Editions of the yearly report to the Council of Heads of State: what one is and how it is written.

One edition per reporting year, in Russian (primary) and English with the same figures,
in ``reports/council_report_<year>/``: ``{ru,en}.pdf``, ``{ru,en}.html`` (the HTML the PDF
is rendered from, charts embedded), ``annex.xlsx`` (every table, as the mart rows) and
``edition.json`` (the figures used, the as-of date, the report versions and the SHA-256
of each file, so that a published edition can be reproduced, checked and compared later).
Every figure is read from the marts (``queries``); this module compares them with the
previous edition's stored figures ("revised since the last edition"), keeps the previous
``edition.json`` under ``editions/`` and writes the files through ``render`` and ``annex``:
all of them rendered aside first, then moved into place, ``edition.json`` last, so a
rendering that fails leaves the previous edition whole.

``approved_only`` makes an edition of the approved report versions only (read from
``marts_approved``, built by ``build_warehouse(approved_only=True)``), which names the
reports not approved yet. ``publish`` makes it the published edition: its year is then
locked (``warehouse.approvals.lock_year``: year, edition, when, by whom), so versions that
arrive later are held until an approver unlocks them; the next edition of the year lists
what changed after the lock. Without ``publish`` an edition is a draft and locks nothing.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from programme_monitoring.atomic_files import write_atomically
from programme_monitoring.publishing.council.annex import write_annex
from programme_monitoring.publishing.council.queries import MartData, Section, read_marts
from programme_monitoring.publishing.council.render import (
    build_context,
    render_html,
    revision_summary,
    write_pdf,
)
from programme_monitoring.publishing.council.text import LANGUAGES
from programme_monitoring.settings import paths

# The hidden folder an edition's files are rendered into before they replace the previous ones.
STAGING_PREFIX = ".rendering-"
# Older than this, such a folder was left by a rendering that was killed (one takes seconds);
# younger, it may be another rendering's, under way.
STAGING_ABANDONED_SECONDS = 3600

# Provenance columns (which report, file, row a figure came from, and remarks): never
# compared as figures between editions. A presentation choice of the comparison.
PROVENANCE = {
    "report_id",
    "source_file",
    "source_files",
    "source_sheet",
    "source_row",
    "comment",
    "finding_key",
    "report_version",
}


class NoFiguresError(ValueError):
    """The marts hold no headline figures for the year asked: said in Russian and English."""

    def __init__(self, year: int, years: list[int]):
        held = f"{min(years)}–{max(years)}" if years else None
        self.ru = f"Нет показателей за {year} год: " + (
            f"в витринах есть годы {held}." if held else "витрины пусты (сначала загрузите отчёты)."
        )
        self.en = f"No figures for {year}: " + (
            f"the marts hold {held}." if held else "the marts are empty (load reports first)."
        )
        super().__init__(f"{self.ru} / {self.en}")


@dataclass
class Edition:
    year: int
    data: MartData
    generated_at: str
    revisions: list[dict]
    previous_edition: str | None  # generated_at of the edition this one replaced
    output_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    published: bool = False  # this edition locked its year

    @property
    def sections(self) -> dict[str, Section]:
        return self.data.sections

    @property
    def as_of(self) -> str | None:
        return self.data.as_of.isoformat() if self.data.as_of else None

    def revision_summary(self, lang: str) -> str:
        """The revisions as a reader counts them ("2 values revised")."""
        return revision_summary(self.revisions, lang)

    @property
    def report_versions(self) -> list[dict]:
        return [{k: plain(v) for k, v in r.items()} for r in self.data.report_versions]


def plain(value):
    """A mart value as JSON holds it: decimals as text, dates as ISO text."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def stored_figures(sections: dict[str, Section]) -> dict:
    """Every table of an edition as ``edition.json`` keeps it."""
    return {
        key: {
            "mart": s.mart,
            "sql": s.sql,
            "key_columns": s.key_columns,
            "columns": s.columns,
            "rows": [[plain(v) for v in row] for row in s.rows],
        }
        for key, s in sections.items()
    }


def compare_editions(previous: dict, sections: dict[str, Section]) -> list[dict]:
    """Figures whose value differs from the one the previous edition published."""
    revisions = []
    for key, section in sections.items():
        old = previous.get("figures", {}).get(key)
        if not old or not old.get("rows"):
            continue
        keys = [k for k in section.key_columns if k in old["columns"]]
        if keys:
            revisions += _revised_rows(key, keys, old, section)
    return revisions


def _revised_rows(table: str, keys: list[str], old: dict, section: Section) -> list[dict]:
    def index(columns, rows):
        return {tuple(r[columns.index(k)] for k in keys): dict(zip(columns, r, strict=True)) for r in rows}

    before = index(old["columns"], old["rows"])
    after = index(section.columns, [[plain(v) for v in row] for row in section.rows])
    revised = []
    for row_key in sorted(set(before) | set(after), key=str):
        a, b = before.get(row_key), after.get(row_key)
        for column in section.columns:
            if column in keys or column in PROVENANCE:
                continue
            if a is not None and b is not None and column not in a:
                continue  # a column the previous edition did not have
            old_value = a.get(column) if a else None
            new_value = b.get(column) if b else None
            if old_value != new_value:
                revised.append(
                    {
                        "table": table,
                        "key": dict(zip(keys, row_key, strict=True)),
                        "column": column,
                        "previous": old_value,
                        "current": new_value,
                    }
                )
    return revised


def _previous_edition(output_dir: Path) -> tuple[dict, str]:
    """The stored previous edition and its text, or ({}, "") if none."""
    stored = output_dir / "edition.json"
    if not stored.exists():
        return {}, ""
    text = stored.read_text(encoding="utf-8")
    return json.loads(text), text


def _keep_in_history(output_dir: Path, previous: dict, text: str) -> None:
    """The edition being replaced, kept under ``editions/``."""
    history = output_dir / "editions"
    history.mkdir(exist_ok=True)
    stamp = (previous.get("generated_at") or "unknown").replace(":", "").replace("+", "_")
    write_atomically(history / f"edition_{stamp}.json", text)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _edition_record(edition: Edition, languages: tuple[str, ...]) -> dict:
    year = edition.year
    return {
        "reporting_year": year,
        "as_of": edition.as_of,
        "generated_at": edition.generated_at,
        "languages": list(languages),
        "previous_edition": edition.previous_edition,
        "approved_only": edition.data.approved_only,
        "published": edition.published,
        "year_locks": [{k: plain(v) for k, v in e.items()} for e in edition.data.locks],
        "headline": {
            str(r["reporting_year"]): {k: plain(v) for k, v in r.items()}
            for r in edition.sections["headline"].records()
            if r["reporting_year"] in (year, year - 1)
        },
        "report_versions": edition.report_versions,
        "revisions": edition.revisions,
        "figures": stored_figures(edition.sections),
        # What a reader (or a copy in the object store) can check the edition's files against.
        "files_sha256": {name: _sha256(path) for name, path in edition.files.items()},
    }


def _render_files(edition: Edition, languages: tuple[str, ...]) -> None:
    """Every file of the edition, rendered into a hidden folder beside them first and moved
    into place only once all of them are: a rendering that fails half-way (a PDF, the annex)
    leaves the previous edition's files as they were, never a mix of two editions."""
    output_dir = edition.output_dir
    for left in output_dir.glob(f"{STAGING_PREFIX}*"):
        if time.time() - left.stat().st_mtime > STAGING_ABANDONED_SECONDS:  # a rendering killed half-way
            shutil.rmtree(left, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(dir=output_dir, prefix=STAGING_PREFIX))
    try:
        rendered = {}
        for lang in languages:
            html = render_html(build_context(edition, lang))
            rendered[f"{lang}.html"] = staging / f"{lang}.html"
            write_atomically(rendered[f"{lang}.html"], html)
            rendered[f"{lang}.pdf"] = staging / f"{lang}.pdf"
            write_pdf(html, rendered[f"{lang}.pdf"])
        rendered["annex.xlsx"] = staging / "annex.xlsx"
        write_annex(edition, rendered["annex.xlsx"])
        for name, path in rendered.items():
            edition.files[name] = output_dir / name
            os.replace(path, edition.files[name])
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_council_report(
    year: int,
    languages: tuple[str, ...] = LANGUAGES,
    output_dir: Path | None = None,
    *,
    approved_only: bool = False,
    publish: bool = False,
) -> Edition:
    """Render the edition for ``year`` into reports/council_report_<year>/ in ``languages`` and
    in those of the edition it replaces there; ``approved_only``: from the approved report
    versions only; ``publish``: lock the year once it is written."""
    for lang in languages:
        if lang not in LANGUAGES:
            raise ValueError(f"language {lang!r}: expected one of {LANGUAGES}")
    output_dir = output_dir or paths().reports / f"council_report_{year}"
    data = read_marts(year, approved_only=approved_only)
    held = sorted(r["reporting_year"] for r in data.sections["headline"].records())
    if year not in held:
        raise NoFiguresError(year, held)
    output_dir.mkdir(parents=True, exist_ok=True)

    previous, previous_text = _previous_edition(output_dir)
    # One edition per folder: the languages of the edition replaced are rendered again with
    # those asked for, so that none of its files is left beside the new edition's.
    replaced = previous.get("languages", ())
    languages = tuple(lang for lang in LANGUAGES if lang in languages or lang in replaced)
    edition = Edition(
        year=year,
        data=data,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        revisions=compare_editions(previous, data.sections) if previous else [],
        previous_edition=previous.get("generated_at"),
        output_dir=output_dir,
        published=publish,
    )
    _render_files(edition, languages)
    if previous:
        _keep_in_history(output_dir, previous, previous_text)
    record = json.dumps(_edition_record(edition, languages), ensure_ascii=False, indent=1)
    edition.files["edition.json"] = output_dir / "edition.json"
    # written last: a reader that finds the new edition.json finds the files it describes
    write_atomically(edition.files["edition.json"], record)
    if publish:
        from programme_monitoring.warehouse.approvals import lock_year
        from programme_monitoring.warehouse.connection import connect

        with connect() as conn, conn.transaction():
            lock_year(conn, year, edition.generated_at)
    return edition
