#!/usr/bin/env bash
# One-shot job (temporal-admin-tools service): wait for the Temporal cluster and the namespace,
# then register NeuroWeaver's custom search attributes. Safe to re-run.
set -euo pipefail

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
WAIT_SECONDS="${WAIT_SECONDS:-300}"
ATTRIBUTES=(NwModelId NwModelName NwSpecialization NwKind NwStage)

deadline=$((SECONDS + WAIT_SECONDS))
wait_for() {
  local what="$1"; shift
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then
      echo "register-search-attributes: timed out after ${WAIT_SECONDS}s waiting for ${what}" >&2
      exit 1
    fi
    echo "register-search-attributes: waiting for ${what}..."
    sleep 2
  done
}

cluster_serving() { temporal operator cluster health --address "$ADDRESS" | grep -q SERVING; }
wait_for "cluster at ${ADDRESS}" cluster_serving
# auto-setup registers the namespace asynchronously after the server starts.
wait_for "namespace ${NAMESPACE}" temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE"

for name in "${ATTRIBUTES[@]}"; do
  if out=$(temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" \
        --name "$name" --type Keyword 2>&1); then
    echo "register-search-attributes: ${name} (Keyword) registered"
  elif grep -qi "already exists" <<<"$out"; then
    echo "register-search-attributes: ${name} already exists"
  else
    echo "register-search-attributes: failed to register ${name}: ${out}" >&2
    exit 1
  fi
done

temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE"
