#!/usr/bin/env bash
# Stop everything e2e/cluster-up.sh started (by its pid files, each with its whole session, so
# children go too), newest first, and check that every port it used is free again.
# Safe to run twice, and when nothing is running.
set -euo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "$0")/lib.sh"

if [[ ! -d "$RUN" ]]; then
  log "no e2e cluster state in ${RUN#"$ROOT"/}; nothing to stop"
  exit 0
fi

# pids_of_session SID: every process whose session id is SID (the started process and its children).
pids_of_session() {
  local sid=$1 stat line rest
  for stat in /proc/[0-9]*/stat; do
    # Field 6 is the session id; the command name (field 2) may hold spaces or ')', so cut after the last ')'.
    { read -r line <"$stat"; } 2>/dev/null || continue
    rest=${line##*)}
    # shellcheck disable=SC2086
    set -- $rest
    [[ "${4:-}" == "$sid" ]] && basename "$(dirname "$stat")"
  done
  return 0
}

# stop NAME: SIGTERM the session started as NAME, wait up to 15 s, then SIGKILL what is left.
stop() {
  local name=$1 pidfile="$RUN/$1.pid" pid pids i
  [[ -f "$pidfile" ]] || return 0
  pid=$(cat "$pidfile")
  pids=$(pids_of_session "$pid")
  if [[ -z "$pids" ]]; then
    rm -f "$pidfile"
    return 0
  fi
  log "stopping $name (pid $pid)"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    pids=$(pids_of_session "$pid")
    [[ -z "$pids" ]] && break
    sleep 0.5
  done
  if [[ -n "$pids" ]]; then
    log "$name did not stop in 15s; killing it"
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
}

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
rm -f "$RUN"/ports.env "$RUN"/started
log "e2e cluster stopped; every port it used is free (logs stay in ${LOGS#"$ROOT"/})"
