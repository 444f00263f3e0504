#!/usr/bin/env bash
# make e2e: start the control plane (e2e/cluster-up.sh), run every scenario, and stop everything
# (e2e/cluster-down.sh), also when a step fails or the run is interrupted.
# Env: APPLY_STRATEGY (see cluster-up.sh); E2E_KEEP_CLUSTER=1 leaves the cluster running.
set -euo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "$0")/lib.sh"

down() {
  local rc=$?
  if [[ -n "${E2E_KEEP_CLUSTER:-}" ]]; then
    log "E2E_KEEP_CLUSTER is set: the cluster keeps running (make cluster-down stops it)"
  else
    "$E2E_DIR/cluster-down.sh" || rc=1
  fi
  # Why scenarios failed, again, as the last lines of the run (run-scenarios.sh wrote it).
  if ((rc != 0)) && [[ -s "$LOGS/e2e-failures.txt" ]]; then
    log "why the failed scenarios failed:"
    cat "$LOGS/e2e-failures.txt"
  fi
  exit $rc
}
trap down EXIT
trap 'exit 130' INT TERM

start=$SECONDS
rm -f "$LOGS/e2e-failures.txt"
"$E2E_DIR/cluster-up.sh"
[[ -f "$ROOT/src/server.ts" ]] || die "src/server.ts does not exist: the scenarios need the webhook"
"$E2E_DIR/run-scenarios.sh" "$@"
log "e2e finished in $((SECONDS - start))s"
