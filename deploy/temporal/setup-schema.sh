#!/usr/bin/env bash
# One-shot job (temporal-schema service): create or migrate Temporal's two PostgreSQL schemas with
# temporal-sql-tool, then exit; the server starts after it. Safe to re-run: an up-to-date schema is
# left as it is, an older one is migrated (a Temporal upgrade: bump both images, rerun).
# The databases themselves are created by deploy/postgres/init-databases.sh.
set -euo pipefail

SCHEMA_DIR="${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"
sql() {
  temporal-sql-tool --plugin postgres12 --ep "${SQL_HOST}" -p "${SQL_PORT}" \
    -u "${SQL_USER}" --pw "${SQL_PASSWORD}" --db "$1" "${@:2}"
}

for db in temporal temporal_visibility; do
  dir="${SCHEMA_DIR}/temporal/versioned"
  [[ "$db" == temporal_visibility ]] && dir="${SCHEMA_DIR}/visibility/versioned"
  # Version 0.0 creates the schema_version table when it is missing (nothing happens otherwise).
  sql "$db" setup-schema -v 0.0
  sql "$db" update-schema -d "$dir"
  echo "setup-schema: ${db} is current"
done
