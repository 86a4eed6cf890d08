#!/usr/bin/env bash
# Runs once, from /docker-entrypoint-initdb.d, when the postgres data volume is first initialised.
# One server, three databases: the app's and Temporal's two (persistence + visibility).
set -euo pipefail

for db in neuroweaver temporal temporal_visibility; do
  exists=$(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
    --no-align --tuples-only --command "SELECT 1 FROM pg_database WHERE datname = '${db}'")
  if [[ "$exists" == "1" ]]; then
    echo "init-databases: database ${db} already exists"
  else
    echo "init-databases: creating database ${db}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
      --command "CREATE DATABASE \"${db}\" OWNER \"${POSTGRES_USER}\""
  fi
done
