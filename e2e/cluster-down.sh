#!/usr/bin/env bash
# Stop everything e2e/cluster-up.sh started (by its pid files, each with its whole session, so
# children go too), newest first, and check that every port it used is free again.
# Safe to run twice, and when nothing is running.
set -euo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=e2e/node-lib.sh
source "$E2E_DIR/node-lib.sh"

if [[ ! -d "$RUN" ]]; then
  log "no e2e cluster state in ${RUN#"$ROOT"/}; nothing to stop"
  exit 0
fi

# The worker node first (it needs nothing from the control plane to be undone).
if [[ -d "$RUN/node" ]] || alive kubelet || alive containerd; then
  with_node_lock "$E2E_DIR/node-down.sh" || log "the node was not fully undone (see above)"
fi
# Newest first: the webhook and Metacontroller before the API server, etcd last.
for name in webhook metacontroller kube-controller-manager kube-apiserver etcd; do
  stop "$name"
done
# Anything else a future cluster-up started.
for pidfile in "$RUN"/*.pid; do
  [[ -e "$pidfile" ]] || continue
  stop "$(basename "$pidfile" .pid)"
done

busy=()
if [[ -f "$RUN/ports.env" ]]; then
  while IFS='=' read -r key port; do
    [[ "$key" == *_PORT ]] || continue
    # Ports in TIME_WAIT are free to bind; only a listener means something is still running.
    if port_open "$port"; then busy+=("$key=$port"); fi
  done <"$RUN/ports.env"
fi
if ((${#busy[@]})); then
  die "still listening after cluster-down: ${busy[*]}"
fi
rm -rf "$RUN"/ports.env "$RUN"/etcd
log "e2e cluster stopped; every port it used is free (logs stay in ${LOGS#"$ROOT"/})"
