#!/bin/bash
# Runs once, when the postgres service initialises an empty data volume
# (docker-entrypoint-initdb.d). Creates two databases with separate owners:
#   - AIRFLOW_DB_NAME   owned by AIRFLOW_DB_USER   (Airflow's metadata only)
#   - WAREHOUSE_DB      owned by WAREHOUSE_USER    (raw/audit/reference/... schemas)
# Neither role can connect to the other's database. Values come from .env via
# docker-compose.yml. Changing them later needs a fresh volume (docker compose down -v)
# or manual ALTER ROLE/DATABASE statements.
set -eo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
  --set=airflow_db="$AIRFLOW_DB_NAME" \
  --set=airflow_user="$AIRFLOW_DB_USER" \
  --set=airflow_password="$AIRFLOW_DB_PASSWORD" \
  --set=warehouse_db="$WAREHOUSE_DB" \
  --set=warehouse_user="$WAREHOUSE_USER" \
  --set=warehouse_password="$WAREHOUSE_PASSWORD" <<'SQL'
CREATE ROLE :"airflow_user" LOGIN PASSWORD :'airflow_password';
CREATE DATABASE :"airflow_db" OWNER :"airflow_user";
REVOKE ALL ON DATABASE :"airflow_db" FROM PUBLIC;

CREATE ROLE :"warehouse_user" LOGIN PASSWORD :'warehouse_password';
CREATE DATABASE :"warehouse_db" OWNER :"warehouse_user";
REVOKE ALL ON DATABASE :"warehouse_db" FROM PUBLIC;
SQL
