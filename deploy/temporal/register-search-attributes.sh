#!/usr/bin/env bash
# One-shot job (temporal-admin-tools service): wait for the Temporal cluster, create the namespace
# when it is missing (with NAMESPACE_RETENTION), then register NeuroWeaver's custom search
# attributes. Safe to re-run; also what to run once against a cluster of your own.
set -euo pipefail

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
WAIT_SECONDS="${WAIT_SECONDS:-300}"
RETENTION="${NAMESPACE_RETENTION:-72h}"
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
if ! temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  if out=$(temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION" 2>&1); then
    echo "register-search-attributes: namespace ${NAMESPACE} created (retention ${RETENTION})"
  elif ! grep -qi "already" <<<"$out"; then
    echo "register-search-attributes: failed to create namespace ${NAMESPACE}: ${out}" >&2
    exit 1
  fi
fi
# A new namespace reaches every frontend within a few seconds.
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
