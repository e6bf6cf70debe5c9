"""The compose deployment reproduced as local processes, for tests and benchmarks only.

A fresh embedded PostgreSQL initialised by the compose file's own init script
(``docker/postgres-init/01-databases.sh``: a warehouse user without superuser rights, the
``pm_*`` roles, a separate metadata database), then Airflow's api-server, scheduler,
dag-processor and triggerer (and Celery workers) as separate processes with the settings
docker-compose.yml gives them. Tasks run as an operator's would: each in its own process,
triggered through the REST API with a token or by assets.

Intervals are tuned so that a chain takes seconds, not minutes (``FAST_INTERVALS``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from programme_monitoring.settings import DAGS_DIR, PROJECT_ROOT, SEEDS_DIR
from programme_monitoring.warehouse.airflow_metadata import ASYNC_DRIVER, SYNC_DRIVER

INIT_SCRIPT = PROJECT_ROOT / "docker" / "postgres-init" / "01-databases.sh"
ADMIN = "admin"
# The compose names, different from the embedded server's own "warehouse"/"airflow" databases.
NAMES = {
    "AIRFLOW_DB_NAME": "airflow_meta",
    "AIRFLOW_DB_USER": "airflow_meta_owner",
    "AIRFLOW_DB_PASSWORD": "airflow-db-password",
    "WAREHOUSE_DB": "wh",
    "WAREHOUSE_USER": "wh_loader",
    "WAREHOUSE_PASSWORD": "warehouse-password",
}
# Seconds, where Airflow's defaults (in brackets) would add minutes to a test:
FAST_INTERVALS = {
    "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",  # (5) scheduler liveness record
    "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "1",  # (5)
    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",  # (1) pause of an idle scheduler loop
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",  # (300) new DAG files are seen after this
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",  # (30) a DAG file re-parsed after this
    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",  # (2) the machine is small
    "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",  # (5)
    "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": "5",  # (300) a task retried after this
}
# Not intervals: a task's calls to the api-server wait longer than the default 5 s, which a
# busy 2-CPU machine exceeds (the task then fails with ReadTimeout); docker-compose.yml too.
PATIENCE = {"AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30"}
# Tasks forked from workers that preloaded their libraries (orchestration/preload.py), as
# docker-compose.yml sets it.
PRELOAD = {
    "AIRFLOW__SCHEDULER__MP_START_METHOD": "forkserver",
    "AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD": "programme_monitoring.orchestration.preload",
    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": (
        "programme_monitoring.orchestration.celery_config.CELERY_CONFIG"
    ),
}
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass  # the group is gone


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class AirflowStack:
    base: Path
    executor: str = "LocalExecutor"
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.api_port = free_port()
        self.log_port = free_port()
        self._token: str | None = None

    # -- the database, as the compose file's postgres service initialises it ------------
    def start_database(self) -> None:
        from programme_monitoring.warehouse.embedded import POSTGRES_BIN_PATH, EmbeddedPostgres

        self.server = EmbeddedPostgres(self.base / "pgdata")
        self.server.ensure_running()
        self.db_port = int(self.server.port_file.read_text())
        env = {
            **os.environ,
            **NAMES,
            "PATH": f"{POSTGRES_BIN_PATH}{os.pathsep}{os.environ.get('PATH', '')}",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.db_port),
            "PGPASSWORD": self.server.password_file.read_text().strip(),  # the server asks every role
            "POSTGRES_USER": "postgres",
            "POSTGRES_DB": "postgres",
            "SEEDS_DIR": str(SEEDS_DIR),
        }
        result = subprocess.run(["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{INIT_SCRIPT.name} failed:\n{result.stdout}\n{result.stderr}")

    @property
    def warehouse_url(self) -> str:
        n = NAMES
        return f"postgresql://{n['WAREHOUSE_USER']}:{n['WAREHOUSE_PASSWORD']}@127.0.0.1:{self.db_port}/{n['WAREHOUSE_DB']}"

    @property
    def superuser_url(self) -> str:
        return self.server.url(NAMES["WAREHOUSE_DB"])

    @property
    def var(self) -> Path:
        return self.base / "var"

    def env(self) -> dict[str, str]:
        """What docker-compose.yml gives a process that runs tasks, pointed at local folders."""
        n = NAMES
        meta = f"{n['AIRFLOW_DB_USER']}:{n['AIRFLOW_DB_PASSWORD']}@127.0.0.1:{self.db_port}"
        meta += f"/{n['AIRFLOW_DB_NAME']}"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW", "WAREHOUSE_", "LANDING_", "REPORTS_", "URS_", "STORAGE_"))
        }
        env.update(
            {
                "AIRFLOW_HOME": str(self.base / "airflow"),
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
                "AIRFLOW__CORE__EXECUTOR": self.executor,
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
                "AIRFLOW__CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.base / "passwords.json"),
                "AIRFLOW__API_AUTH__JWT_SECRET": "test-jwt-secret-" + "x" * 32,
                "AIRFLOW__API__SECRET_KEY": "test-api-secret",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__HOST": "127.0.0.1",
                # Where a task runner serves its logs (default 8793: taken by any other Airflow here).
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.log_port),
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"{SYNC_DRIVER}://{meta}",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": f"{ASYNC_DRIVER}://{meta}",
                "WAREHOUSE_URL": self.warehouse_url,
                "WAREHOUSE_EMBEDDED": "false",
                "VAR_DIR": str(self.var),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                **FAST_INTERVALS,
                **PATIENCE,
                **PRELOAD,
            }
        )
        env.update(self.extra_env)
        return env

    # -- Airflow --------------------------------------------------------------------------
    def run(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(list(args), env=env or self.env(), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:4])} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result.stdout

    def prepare(self) -> None:
        """What airflow-init does: metadata migrated, raw/audit schemas, the admin's password."""
        (self.base / "passwords.json").write_text(json.dumps({ADMIN: ADMIN}))
        self.run(str(Path(sys.executable).with_name("airflow")), "db", "migrate")
        self.run(sys.executable, "-m", "programme_monitoring", "warehouse", "init")

    def start(self, *components: str, env: dict[str, str] | None = None, name: str | None = None) -> None:
        """Start the components (the api-server first: tasks report to it from their first second)."""
        components = components or COMPONENTS
        if "api-server" in components:
            self._spawn("api-server", env, name)
            self.wait_for_api()
        for component in components:
            if component != "api-server":
                self._spawn(component, env, name)

    def _spawn(self, component: str, env: dict[str, str] | None, name: str | None) -> None:
        airflow = str(Path(sys.executable).with_name("airflow"))
        logs = self.base / "process-logs"
        logs.mkdir(exist_ok=True)
        key = name or component
        with open(logs / f"{key}.log", "ab") as log:
            self.processes[key] = subprocess.Popen(
                [airflow, *component.split()],
                env=env or self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped with its children
            )

    def wait_for_api(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.api_port}/api/v2/monitor/health", timeout=5
                ):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise TimeoutError(f"the api-server did not answer in {timeout} s; see {self.base / 'process-logs'}")

    def _check_alive(self) -> None:
        for key, process in self.processes.items():
            if process.poll() is not None:
                log = (self.base / "process-logs" / f"{key}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"airflow {key} exited with {process.returncode}:\n{log}")

    def log(self, key: str) -> str:
        return (self.base / "process-logs" / f"{key}.log").read_text(errors="replace")

    def stop(self, *keys: str, timeout: float = 30) -> None:
        """SIGTERM to every given started process group at once, SIGKILL to those left after ``timeout``."""
        stopping = [(key, self.processes.pop(key)) for key in keys or list(self.processes)]
        for _, process in stopping:
            _signal_group(process.pid, signal.SIGTERM)  # its children too, even if it has exited
        deadline = time.monotonic() + timeout
        for _, process in stopping:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            # What is left of its group: a LocalExecutor worker started from the forkserver
            # while the scheduler was stopping outlives it otherwise.
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()

    def close(self) -> None:
        self.stop()
        if getattr(self, "server", None):
            self.server.stop(mode="immediate")

    # -- the REST API ---------------------------------------------------------------------
    def token(self) -> str:
        if not self._token:
            answer = self.api("POST", "/auth/token", {"username": ADMIN, "password": ADMIN}, auth=False)
            self._token = answer["access_token"]
        return self._token

    def api(self, method: str, path: str, body: dict | None = None, auth: bool = True) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        if auth:
            request.add_header("Authorization", f"Bearer {self.token()}")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"{}")

    def trigger(self, dag_id: str, conf: dict | None = None) -> str:
        run = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        return run["dag_run_id"]

    def runs(self, dag_id: str) -> list[dict]:
        return self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns?order_by=run_after&limit=100")["dag_runs"]

    def finished_after(self, dag_id: str, since: str, run_type: str | None = None) -> dict | None:
        """The first run of ``dag_id`` (of ``run_type``, e.g. "asset_triggered") queued after
        ``since`` (ISO time) once it has succeeded; None while it runs; AssertionError if it failed.
        (A DAG with a time schedule also gets its latest missed run once it is unpaused, queued
        whenever the scheduler gets to it: name the run type to wait for the other.)"""
        for run in self.runs(dag_id):
            if (run.get("queued_at") or run["run_after"]) < since:
                continue
            if run_type and run["run_type"] != run_type:
                continue
            if run["state"] == "failed":
                raise AssertionError(f"{dag_id} run {run['dag_run_id']} failed; see the task log")
            return run if run["state"] == "success" else None
        return None

    def task_logs(self, dag_id: str, run_id: str) -> str:
        """The logs of every task instance of a run (latest try of each), as JSON text."""
        base = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        logs = [
            self.api("GET", f"{base}/{ti['task_id']}/logs/{ti['try_number']}")
            for ti in self.api("GET", base)["task_instances"]
        ]
        return json.dumps(logs, ensure_ascii=False)

    def wait_for(self, condition, timeout: float, what: str, interval: float = 1.0):
        """Poll ``condition()`` until it returns something true; its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                value = condition()
            except (urllib.error.URLError, TimeoutError, ConnectionError):  # a busy api-server: ask again
                value = None
            if value:
                return value
            time.sleep(interval)
        raise TimeoutError(f"{what}: not within {timeout} s; logs in {self.base / 'process-logs'}")

    def wait_for_dags(self, dag_ids, timeout: float = 120) -> None:
        def parsed():
            known = {d["dag_id"] for d in self.api("GET", "/api/v2/dags?limit=100")["dags"]}
            return set(dag_ids) <= known

        self.wait_for(parsed, timeout, f"DAGs {sorted(dag_ids)} parsed")
