#!/bin/bash
# Runs once, when the postgres container initialises an empty data directory (docker-compose.yml
# mounts it into /docker-entrypoint-initdb.d). One database per component, owned by a role of the
# same name; PUBLIC may not connect, so no component can read another's data.
set -euo pipefail
DATABASES="orders fulfillment chat payments disputes profiles gateway"
: "${SERVICE_DB_PASSWORD:?set SERVICE_DB_PASSWORD}"
for db in $DATABASES; do
  echo "create-databases: role and database $db"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
       -v db="$db" -v pw="$SERVICE_DB_PASSWORD" <<'SQL'
CREATE ROLE :"db" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"db";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
done
