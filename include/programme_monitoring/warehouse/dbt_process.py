"""Runs one dbt command in a child process of its own, forked from this one.

dbt runs apart from the caller: its logging, its global state (flags, the adapter
registry, the event manager) and the connection settings it reads from the environment
stay in the child and die with it, and the Airflow task or test that called it keeps its
own. The connection reaches dbt's profile through environment variables, set in the child
only, never a file.

The child is a fork of the calling process running dbt's programmatic API
(``dbtRunner``), not a fresh ``dbt`` executable: a fresh interpreter spends about 4 s of
a 2-CPU machine importing dbt before it reads the project, on every build. The parent
imports dbt once (an Airflow worker before its first task: ``orchestration.preload``) and
every child starts with it loaded. Where ``os.fork`` does not exist, the ``dbt`` executable
runs instead.

What the command prints goes to a temporary file, returned to the caller as text (and
with the error raised, ``DbtError``, when the command fails). A build writes
``run_results.json`` to the target folder but not dbt's ``manifest.json``: written twice
per build it cost about 1 s, and ``dbt docs generate`` (the CLI's ``dbt-docs``) writes it with the
catalogue for whoever reads the documentation.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from programme_monitoring.settings import DBT_PROJECT_DIR
from programme_monitoring.warehouse.connection import connection_parts, warehouse_url

log = logging.getLogger(__name__)

# Commands that write no manifest.json (it is not read afterwards): only their run_results.json.
WITHOUT_MANIFEST = ("build", "run", "test", "seed")


class DbtError(RuntimeError):
    pass


def dbt_environment() -> dict[str, str]:
    """The environment dbt runs with: the caller's plus the warehouse connection for the profile."""
    parts = connection_parts(warehouse_url())
    env = dict(os.environ)
    env.update(
        {
            "WAREHOUSE_HOST": parts["host"],
            "WAREHOUSE_PORT": parts["port"],
            "WAREHOUSE_USER": parts["user"],
            "WAREHOUSE_PASSWORD": parts["password"],
            "WAREHOUSE_DB": parts["dbname"],
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    return env


def run_dbt(*args: str, target_path: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run one dbt command in the project; return its output, raise DbtError with it on failure.
    ``env``: variables set for dbt only (on top of ``dbt_environment()``)."""
    arguments = [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    if target_path is not None:
        arguments += ["--target-path", str(target_path)]
    log.info("running dbt %s", " ".join(args[:1]))
    environment = {**dbt_environment(), **(env or {})}
    if hasattr(os, "fork"):
        returncode, output = _run_forked(arguments, environment, target_path or DBT_PROJECT_DIR / "target")
    else:
        dbt = Path(sys.executable).with_name("dbt")
        result = subprocess.run(
            [str(dbt), *arguments], capture_output=True, text=True, env=environment, cwd=DBT_PROJECT_DIR
        )
        returncode, output = result.returncode, result.stdout + result.stderr
    if returncode != 0:
        raise DbtError(f"dbt {args[0]} failed:\n{output[-8000:]}")
    return output


def _run_forked(arguments: list[str], environment: dict[str, str], target: Path) -> tuple[int, str]:
    from dbt.cli.main import dbtRunner  # once per process: every later child starts with it

    without_manifest = arguments[0] in WITHOUT_MANIFEST
    with tempfile.TemporaryFile() as output:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 2
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.dup2(output.fileno(), 1)
                os.dup2(output.fileno(), 2)
                sys.stdout = sys.stderr = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
                # Python logging to the same file, not to the caller's handlers (an Airflow
                # task's go to its supervisor): replaced, not closed, as they are shared.
                logging.root.handlers = [logging.StreamHandler(sys.stderr)]
                os.chdir(DBT_PROJECT_DIR)
                os.environ.clear()
                os.environ.update(environment)
                extra = ["--no-write-json"] if without_manifest else []
                result = dbtRunner().invoke([*arguments, *extra])
                if without_manifest and result.result is not None:
                    result.result.write(str(target / "run_results.json"))
                code = 0 if result.success else 1
                if result.exception is not None:
                    print(f"dbt stopped: {result.exception!r}")
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                os._exit(code)  # no cleanup of the parent's objects (connections, atexit)
        try:
            _, status = os.waitpid(pid, 0)
        except BaseException:  # the task is being stopped: so is its dbt
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
            raise
        output.seek(0)
        return os.waitstatus_to_exitcode(status), output.read().decode("utf-8", errors="replace")
