#!/bin/bash
# Runs once, as the PostgreSQL superuser, when the postgres service initialises an empty
# data volume (docker-entrypoint-initdb.d). The superuser's password stays in this
# service: everything that needs it is done here, once.
#   - AIRFLOW_DB_NAME   owned by AIRFLOW_DB_USER   (Airflow's metadata only)
#   - WAREHOUSE_DB      owned by WAREHOUSE_USER    (raw/audit/reference/... schemas)
#   - the warehouse's group roles (pm_loader, pm_transformer, pm_analyst, pm_bi_reader,
#     pm_auditor, pm_reviewer, pm_approver and one pm_state_<iso2> per state of dbt_project/seeds/member_states.csv,
#     mounted at /seeds), NOLOGIN, so the transform, which re-applies grants and row-level
#     security on every publish, never needs CREATEROLE (programme_monitoring.warehouse.access
#     creates only roles that are missing);
#   - WAREHOUSE_USER is a member of pm_transformer: the marts force row-level security even
#     on their owner, and the policy that shows every row names pm_transformer.
# Neither login role can connect to the other's database. Values come from .env via
# docker-compose.yml. Changing them later needs a fresh volume (docker compose down -v)
# or manual ALTER ROLE/DATABASE statements; a state added to the seed later needs its
# role created by hand: CREATE ROLE pm_state_<iso2> NOLOGIN.
set -eo pipefail

for variable in AIRFLOW_DB_NAME AIRFLOW_DB_USER AIRFLOW_DB_PASSWORD WAREHOUSE_DB WAREHOUSE_USER WAREHOUSE_PASSWORD; do
  if [ -z "${!variable}" ]; then
    echo "postgres-init: $variable is not set (see .env.example)" >&2
    exit 1
  fi
done
seed="${SEEDS_DIR:-/seeds}/member_states.csv"
if [ ! -r "$seed" ]; then
  echo "postgres-init: $seed is missing (docker-compose.yml mounts ./dbt_project/seeds at /seeds)" >&2
  exit 1
fi

roles="pm_loader pm_transformer pm_analyst pm_bi_reader pm_auditor pm_reviewer pm_approver"
for code in $(tail -n +2 "$seed" | cut -d, -f1 | tr 'A-Z' 'a-z'); do
  case "$code" in
    [a-z][a-z]) roles="$roles pm_state_$code" ;;
    *) echo "postgres-init: unexpected state_code '$code' in $seed" >&2; exit 1 ;;
  esac
done
role_sql=""
for role in $roles; do
  role_sql="${role_sql}CREATE ROLE ${role} NOLOGIN;"$'\n'
done

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
  --set=airflow_db="$AIRFLOW_DB_NAME" \
  --set=airflow_user="$AIRFLOW_DB_USER" \
  --set=airflow_password="$AIRFLOW_DB_PASSWORD" \
  --set=warehouse_db="$WAREHOUSE_DB" \
  --set=warehouse_user="$WAREHOUSE_USER" \
  --set=warehouse_password="$WAREHOUSE_PASSWORD" <<SQL
CREATE ROLE :"airflow_user" LOGIN PASSWORD :'airflow_password';
CREATE DATABASE :"airflow_db" OWNER :"airflow_user";
REVOKE ALL ON DATABASE :"airflow_db" FROM PUBLIC;

CREATE ROLE :"warehouse_user" LOGIN PASSWORD :'warehouse_password';
CREATE DATABASE :"warehouse_db" OWNER :"warehouse_user";
REVOKE ALL ON DATABASE :"warehouse_db" FROM PUBLIC;

${role_sql}
GRANT pm_transformer TO :"warehouse_user";
SQL

# Large objects: the creating functions belong to this superuser, per database; no reading
# role may call them (programme_monitoring.warehouse.access checks it on every publish).
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$WAREHOUSE_DB" <<SQL
REVOKE EXECUTE ON FUNCTION pg_catalog.lo_create(oid), pg_catalog.lo_creat(integer),
  pg_catalog.lo_from_bytea(oid, bytea), pg_catalog.lo_import(text), pg_catalog.lo_import(text, oid)
  FROM PUBLIC;
SQL
