"""The intake's locks and the reading roles, on the real intake and PostgreSQL.

Only the loader can take the intake's locks (rows of ``audit.intake_locks``); a load that
waits longer than ``ledger.LOCK_TIMEOUT`` leaves its file for the next run with a clear
message while the other files are decided; the reading roles can neither stall a load nor
create large objects. Files that are links are refused unread.
"""

from __future__ import annotations

import datetime as dt
import os

import psycopg
import pytest
from programme_monitoring.intake import ledger
from programme_monitoring.intake.ingest import IntakeLoadError, ingest_files, ingest_landing
from programme_monitoring.settings import paths
from test_ingest import fresh_database, q, write

READING_ROLES = ("pm_bi_reader", "pm_analyst", "pm_auditor", "pm_state_kz", "pm_transformer")
RUN_DAY = dt.date(2020, 1, 1)


@pytest.fixture
def fresh(warehouse_url, tmp_path, monkeypatch):
    """A fresh database with the roles and grants applied; yields the database URL."""
    from programme_monitoring.warehouse.access import apply_access

    for url in fresh_database(warehouse_url, tmp_path, monkeypatch):
        apply_access(url)
        monkeypatch.setattr(ledger, "LOCK_TIMEOUT", "2s")  # a hang would fail the test, not stall it
        yield url


def kz(name: str):
    return paths().landing / "kz" / name


def test_no_reading_role_can_lock_the_intake_or_stall_a_load(fresh):
    with psycopg.connect(fresh) as holder:
        holder.execute(
            "insert into audit.intake_locks (state_code, programme_code, reporting_year) "
            "values ('KZ', 'THB', 2014)"
        )
        holder.commit()
        for role in READING_ROLES:
            holder.execute(f"set role {role}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                holder.execute("select * from audit.intake_locks for update")
            holder.rollback()
            holder.execute(f"set role {role}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                holder.execute("lock table audit.intake_locks in exclusive mode")
            holder.rollback()
        # What a reading role can still hold: the key of the former advisory lock, and a read
        # of the lock table. Neither stops a load.
        holder.execute("set role pm_auditor")
        holder.execute(
            "select pg_advisory_lock(hashtextextended('file_ledger:KZ:THB:2014', 0)), "
            "count(*) from audit.intake_locks"
        )
        (outcome,) = ingest_files([write(kz("KZ_THB_2014_v1.csv"))], today=RUN_DAY)
        assert outcome.status == "loaded", outcome.reasons


def test_a_load_waiting_too_long_for_its_lock_stays_for_the_next_run_and_the_others_load(fresh):
    blocked, other = write(kz("KZ_THB_2014_v1.csv")), write(kz("KZ_THB_2015_v1.xlsx"), year=2015)
    with psycopg.connect(fresh) as loader:  # another load of KZ THB 2014, holding its lock
        loader.execute(
            "insert into audit.intake_locks (state_code, programme_code, reporting_year) "
            "values ('KZ', 'THB', 2014)"
        )
        loader.execute("select 1 from audit.intake_locks where reporting_year = 2014 for update")
        with pytest.raises(IntakeLoadError) as failure:
            ingest_landing(today=RUN_DAY)
    message = str(failure.value)
    assert (
        "KZ_THB_2014_v1.csv: another load of the THB 2014 report of KZ held its lock for longer than 2s"
        in message
    )
    assert "stays in the landing area for the next run" in message
    outcomes = {o.file_name: o.status for o in failure.value.outcomes}
    assert outcomes == {"KZ_THB_2014_v1.csv": "failed", "KZ_THB_2015_v1.xlsx": "loaded"}
    assert blocked.exists() and not other.exists()
    assert q(fresh, "select file_name, status from audit.file_ledger order by 1") == [
        ("KZ_THB_2014_v1.csv", "received"),  # seen, not decided: taken again by the next run
        ("KZ_THB_2015_v1.xlsx", "loaded"),
    ]
    assert q(fresh, "select reporting_year from raw.report_headers") == [(2015,)]
    (again,) = ingest_landing(today=RUN_DAY)
    assert (again.file_name, again.status) == ("KZ_THB_2014_v1.csv", "loaded")


def test_reading_roles_cannot_create_large_objects(fresh):
    with psycopg.connect(fresh) as conn:
        for role in (*READING_ROLES, "pm_loader"):
            for call in ("lo_create(0)", "lo_creat(-1)", "lo_from_bytea(0, 'x'::bytea)"):
                conn.execute(f"set role {role}")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"select {call}")
                conn.rollback()
        assert conn.execute("select count(*) from pg_largeobject_metadata").fetchone() == (0,)


def test_hard_and_symbolic_links_are_refused_unread_and_nothing_of_them_is_kept(fresh, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.csv"
    secret.write_text("SECRET-FIRST-LINE,state,programme\n1,2,3\n", encoding="utf-8")
    report = write(outside / "KZ_THB_2014_v1.csv")
    kz("").mkdir(parents=True)
    os.link(secret, kz("hard.csv"))
    os.link(report, kz("hard_report.csv"))  # even a good report: it has a second name
    kz("soft.csv").symlink_to(secret)
    (paths().landing / "by").symlink_to(outside, target_is_directory=True)  # a sender folder elsewhere
    good = write(kz("KZ_THB_2015_v1.csv"), year=2015)

    outcomes = {o.file_name: o for o in ingest_landing(today=RUN_DAY)}
    assert outcomes.pop(good.name).status == "loaded"
    assert set(outcomes) == {"hard.csv", "hard_report.csv", "soft.csv", "by"}
    for name, outcome in outcomes.items():
        text = "\n".join(outcome.reasons)
        assert outcome.status == "rejected" and outcome.sha256 == "", name
        assert "SECRET" not in text and ("hard link" in text or "not a regular file" in text), text
        assert "жёсткая ссылка" in text or "не обычный файл" in text, text
    assert "hard link" in outcomes["hard.csv"].reasons[0]
    assert q(fresh, "select file_name from audit.file_ledger") == [(good.name,)]
    assert not any("SECRET" in p.read_bytes().decode("utf-8", "replace") for p in paths().var.rglob("*")
                   if p.is_file() and paths().landing not in p.parents)  # fmt: skip
    assert kz("hard.csv").exists() and secret.read_text(encoding="utf-8").startswith("SECRET")
