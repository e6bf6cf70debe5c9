"""The intake with the rights of ``pm_loader`` alone, as README "Access and roles" gives it.

The loader writes ``raw`` and ``audit`` and may make no temporary table (nobody may): a
report and its correction load under a LOGIN role that is a member of ``pm_loader`` only,
the correction compared with the version it replaces in PostgreSQL all the same.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from programme_monitoring.warehouse import access
from psycopg import errors, sql
from test_ingest import BASE_VALUES, fresh_database, ingest, landing, q, write

PASSWORD = "loader-login-" + "x" * 12


@pytest.fixture
def as_loader(warehouse_url, tmp_path, monkeypatch):
    """A fresh warehouse with access applied; WAREHOUSE_URL set to a LOGIN member of pm_loader.
    Yields the owner's URL (for the test's own queries)."""
    for owner_url in fresh_database(warehouse_url, tmp_path, monkeypatch):
        access.apply_access(owner_url)
        user = f"pm_test_loader_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(owner_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("create role {} login password {}").format(
                    sql.Identifier(user), sql.Literal(PASSWORD)
                )
            )
            admin.execute(sql.SQL("grant pm_loader to {}").format(sql.Identifier(user)))
        loader_url = psycopg.conninfo.make_conninfo(owner_url, user=user, password=PASSWORD)
        monkeypatch.setenv("WAREHOUSE_URL", loader_url)
        try:
            yield owner_url, loader_url
        finally:
            monkeypatch.setenv("WAREHOUSE_URL", owner_url)
            with psycopg.connect(owner_url, autocommit=True) as admin:
                admin.execute(sql.SQL("drop owned by {}").format(sql.Identifier(user)))
                admin.execute(sql.SQL("drop role {}").format(sql.Identifier(user)))


def test_a_report_and_its_correction_load_with_the_loaders_rights_alone(as_loader):
    owner_url, loader_url = as_loader
    with psycopg.connect(loader_url) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("create temporary table scratch (n int)")
    (first,) = ingest(write(landing() / "KZ_THB_2014_v1.csv"))
    corrected = [("THB01", "total", 120), *BASE_VALUES[1:]]
    (second,) = ingest(write(landing() / "KZ_THB_2014_v2.csv", 2, corrected))
    assert (first.status, second.status) == ("loaded", "loaded"), second.reasons
    assert (second.summary.updated, second.summary.change_count) == (1, 1)
    changes = q(owner_url, "select indicator_code, old_value, new_value from audit.import_changes")
    assert changes == [("THB01", 100, 120)]
