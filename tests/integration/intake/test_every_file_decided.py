"""Every file is decided and one file never stops the others: crafted files that made the
reader or the checks raise, on the real intake and PostgreSQL.

Each crafted file must end ``rejected`` with a reason in Russian and English (never a
traceback, never ``received``, never "the next run loads it"), the good file beside it
must load in the same run, and nothing of the crafted files may reach the warehouse.
"""

from __future__ import annotations

import datetime as dt
import re

import psycopg
import pytest
from programme_monitoring.settings import paths
from test_ingest import fresh_database, q, write


@pytest.fixture
def fresh(warehouse_url, tmp_path, monkeypatch):
    """A fresh database and run-time folder (test_ingest's); yields the database URL."""
    yield from fresh_database(warehouse_url, tmp_path, monkeypatch)


CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def run_landing():
    from programme_monitoring.intake.ingest import ingest_landing

    return {o.file_name: o for o in ingest_landing(today=dt.date(2020, 1, 1))}


def json_report(name: str, edit) -> str:
    """A good JSON report of KZ THB 2015, edited as text by ``edit`` (a hostile sender's file)."""
    path = write(paths().landing / "kz" / name, year=2015)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return name


def assert_refused_in_both_languages(outcome) -> str:
    assert outcome.status == "rejected", outcome
    text = "\n".join(outcome.reasons)
    assert text and CYRILLIC.search(text) and re.search("[a-z]{3}", text), text
    assert "Traceback" not in text and "next run" not in text, text
    return text


def test_files_that_made_the_reader_raise_are_refused_and_the_others_load(fresh):
    deep = json_report("deep.json", lambda t: t.replace('"measures": [', '"measures": ' + "[" * 100_000, 1))
    digits = json_report(
        "digits.json", lambda t: re.sub(r'"value": \d+', '"value": ' + "9" * 5000, t, count=1)
    )
    huge = json_report(
        "huge.json", lambda t: re.sub(r'"value": \d+', '"value": 99999999999999999999999', t, count=1)
    )
    year = json_report(
        "year.json", lambda t: t.replace('"reporting_year": 2015', '"reporting_year": 99999999999')
    )
    version = json_report("version.json", lambda t: t.replace('"version": 1', '"version": 4294967296'))
    good = write(paths().landing / "kz" / "KZ_THB_2014_v1.csv").name

    outcomes = run_landing()
    assert outcomes[good].status == "loaded", outcomes[good].reasons
    for name in (deep, digits, huge, year, version):
        assert_refused_in_both_languages(outcomes[name])
    statuses = q(fresh, "select status, count(*) from audit.file_ledger group by 1 order by 1")
    assert statuses == [("loaded", 1), ("rejected", 5)]
    assert q(fresh, "select count(*) from raw.report_headers") == [(1,)]
    assert [p for p in paths().landing.rglob("*") if p.is_file()] == []


def test_a_year_or_version_beyond_an_integer_is_refused_naming_the_field(fresh):
    """What the intake itself checks, whatever the reader lets through: never a database error."""
    year = json_report(
        "year.json", lambda t: t.replace('"reporting_year": 2015', '"reporting_year": 2147483648')
    )
    outcomes = run_landing()
    text = assert_refused_in_both_languages(outcomes[year])
    assert "year" in text and "год" in text
    ((status, stored_year),) = q(fresh, "select status, reporting_year from audit.file_ledger")
    assert (status, stored_year) == ("rejected", None)


def test_a_foreign_file_is_refused_without_quoting_it(fresh):
    secret = "root:x:0:0:SECRET-FIRST-LINE:/root:/bin/bash"
    foreign = paths().landing / "kz" / "passwd.csv"
    foreign.parent.mkdir(parents=True)
    foreign.write_text(secret + "\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n", encoding="utf-8")
    (outcome,) = run_landing().values()
    text = assert_refused_in_both_languages(outcome)
    assert "SECRET" not in text and "not a report of template version 1" in text
    stored = q(fresh, "select coalesce(reason, '') from audit.file_ledger")
    stored += q(fresh, "select summary_en || summary_ru from audit.import_summary")
    stored += q(
        fresh, "select reason_en || reason_ru || coalesce(column_name, '') from audit.import_conflicts"
    )
    assert stored and not any("SECRET" in text for (text,) in stored)
    summary = (paths().quarantine / f"{outcome.sha256}.summary.json").read_text(encoding="utf-8")
    assert "SECRET" not in summary

    # A report's own misspelt column is still named: the protection is for files that are no report.
    path = write(paths().landing / "kz" / "KZ_THB_2014_v1.csv")
    heading, rest = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(heading.replace("value", "valeu") + "\n" + rest, encoding="utf-8")
    (outcome,) = run_landing().values()
    assert "valeu" in assert_refused_in_both_languages(outcome)


def test_text_postgresql_cannot_store_refuses_the_file_instead_of_leaving_it(fresh):
    """A NUL character (valid JSON, refused by PostgreSQL) in a field that is loaded, and in one
    that a refusal quotes: both files are decided, neither "stays for the next run"."""
    loaded_field = json_report(
        "authority.json", lambda t: t.replace('"authority": "', '"authority": "\\u0000', 1)
    )
    quoted_field = json_report("state.json", lambda t: t.replace('"state": "KZ"', '"state": "K\\u0000Z"', 1))
    outcomes = run_landing()
    for name in (loaded_field, quoted_field):
        assert_refused_in_both_languages(outcomes[name])
    assert q(fresh, "select status, count(*) from audit.file_ledger group by 1") == [("rejected", 2)]
    assert q(fresh, "select count(*) from raw.report_headers") == [(0,)]


def test_a_row_a_warehouse_constraint_refuses_refuses_the_file_instead_of_leaving_it(fresh):
    """A check of the warehouse the intake's own rules do not know (one a database administrator
    added): the file it refuses is decided, not left to fail again at every run."""
    from programme_monitoring.warehouse.schema import init

    init(fresh)
    with psycopg.connect(fresh, autocommit=True) as conn:
        conn.execute(
            "alter table raw.indicator_values "
            "add constraint administrators_rule check (source_file <> 'kept_out.json')"
        )
    kept_out = json_report("kept_out.json", lambda t: t)
    good = write(paths().landing / "kz" / "good.json", year=2016).name
    outcomes = run_landing()
    text = assert_refused_in_both_languages(outcomes[kept_out])
    assert "cannot be stored" in text
    assert outcomes[good].status == "loaded"
    assert not (paths().landing / "kz" / kept_out).exists()
    assert q(fresh, "select file_name, status from audit.file_ledger order by 1") == [
        ("good.json", "loaded"),
        ("kept_out.json", "rejected"),
    ]
