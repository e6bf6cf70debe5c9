"""The embedded PostgreSQL asks every role for its password (scram-sha-256), local
connections included: a real server in a temp folder, real connections."""

from __future__ import annotations

import stat
from urllib.parse import urlsplit

import psycopg
import pytest
from programme_monitoring.warehouse.embedded import HBA, EmbeddedPostgres
from psycopg import sql


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("auth") / "pgdata")
    embedded.ensure_running()
    yield embedded
    embedded.stop(mode="immediate")


def _port(server: EmbeddedPostgres) -> int:
    return urlsplit(server.url()).port


def _connect(server: EmbeddedPostgres, user: str, password: str | None) -> psycopg.Connection:
    return psycopg.connect(
        host="127.0.0.1",
        port=_port(server),
        dbname="warehouse",
        user=user,
        password=password,
        connect_timeout=10,
    )


def test_the_superuser_needs_its_password(server):
    with psycopg.connect(server.url()) as conn:
        assert conn.execute("select current_user").fetchone() == ("postgres",)
    assert stat.S_IMODE(server.password_file.stat().st_mode) == 0o600
    for wrong in ("wrong-password", "", None):
        with pytest.raises(psycopg.OperationalError, match="password"):
            _connect(server, "postgres", wrong)


def test_a_bi_login_with_a_wrong_password_is_refused(server):
    with psycopg.connect(server.url(), autocommit=True) as admin:
        admin.execute("drop role if exists superset_bi")
        admin.execute(sql.SQL("create role superset_bi login password {}").format(sql.Literal("right-one")))
    with _connect(server, "superset_bi", "right-one") as conn:
        assert conn.execute("select current_user").fetchone() == ("superset_bi",)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(server, "superset_bi", "wrong-one")
    with pytest.raises(psycopg.OperationalError, match="password"):
        _connect(server, "superset_bi", None)


def test_the_login_hint_shows_where_the_password_is_not_the_password(server):
    hint = server.login_hint()
    assert str(server.password_file) in hint and f"port {_port(server)}" in hint
    assert server.password_file.read_text().strip() not in hint


def test_a_data_folder_that_trusted_everyone_is_converted(tmp_path):
    """A warehouse made before passwords (pg_hba.conf: trust) gets the superuser's password
    set and every connection asks for it from its next start on."""
    old = EmbeddedPostgres(tmp_path / "pgdata")
    old.ensure_running()
    old.stop()
    hba = old.pgdata / "pg_hba.conf"
    hba.write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    old.password_file.unlink()  # as before: no password anywhere
    try:
        old.ensure_running()
        assert hba.read_text() == HBA
        with psycopg.connect(old.url()) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        with pytest.raises(psycopg.OperationalError, match="password"):
            _connect(old, "postgres", None)
    finally:
        old.stop(mode="immediate")
