# Shared by the e2e scripts (sourced, not run). Paths, logging, bounded waits.
# shellcheck shell=bash

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$E2E_DIR/.." && pwd)"
CACHE="$ROOT/.cache/e2e"
BIN="$CACHE/bin"
LOGS="$CACHE/logs"
RUN="$CACHE/run"
SHARE="$CACHE/share"

# Pinned versions (the go.mod files under e2e/tools/ are the source of truth; these are for messages
# and for the metacontroller module fallback in build.sh).
KUBERNETES_VERSION=v1.36.3
METACONTROLLER_VERSION=v4.17.2
CONTAINERD_VERSION=v2.2.9
METACONTROLLER_COMMIT=76b818bdc67ba56570abe5f69f714d56c0ff5c52
METACONTROLLER_PSEUDO=v0.0.0-20260813213314-76b818bdc67b
METACONTROLLER_TIME=2026-08-13T21:33:14Z

# Never let the go command fetch another toolchain.
export GOTOOLCHAIN=local

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() {
  printf '[e2e %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2
  exit 1
}

# wait_for SECONDS DESCRIPTION COMMAND...: run COMMAND every second until it succeeds, at most SECONDS.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - start >= limit)); then
      printf '[e2e %s] timed out after %ss waiting for %s\n' "$(date +%H:%M:%S)" "$limit" "$what" >&2
      return 1
    fi
    sleep 1
  done
}

# free_ports N: print N distinct free TCP ports on 127.0.0.1, one a line.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
for s in socks:
    s.close()
EOF
}

# port_open PORT: true when something accepts connections on 127.0.0.1:PORT.
port_open() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.settimeout(1)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# ---------------------------------------------------------------- processes started by cluster-up

# start NAME COMMAND...: run COMMAND in its own session (so that stop can end it with its children),
# appending to .cache/e2e/logs/NAME.log, its pid (= its session id) in .cache/e2e/run/NAME.pid,
# written by the process itself so that it is right even when setsid has to fork.
start() {
  local name=$1
  shift
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$RUN/$name.pid" "$@" \
    </dev/null >>"$LOGS/$name.log" 2>&1 &
  # The pid file is written by the new session before it execs: only a starved machine takes
  # seconds here (a CI run once took more than 10 with the cores busy), so the bound is generous.
  wait_for 30 "$name to start" test -s "$RUN/$name.pid" || die "could not start $name"
}

alive() { [[ -s "$RUN/$1.pid" ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# http_ok NAME CURL-ARGS...: NAME is running and the URL answers 2xx.
http_ok() { alive "$1" && curl -fsS --max-time 2 "${@:2}" >/dev/null; }

# ready NAME SECONDS DESCRIPTION COMMAND...: bounded wait; on timeout show the component's log.
ready() {
  local name=$1 limit=$2 what=$3
  shift 3
  if ! wait_for "$limit" "$what" "$@"; then
    alive "$name" || log "$name exited"
    log "last lines of ${LOGS#"$ROOT"/}/$name.log:"
    tail -n 30 "$LOGS/$name.log" >&2
    die "$name did not become ready"
  fi
}

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

# start_webhook: our webhook service (built by `make build`) on 127.0.0.1:$WEBHOOK_PORT.
start_webhook() {
  [[ -n "${WEBHOOK_PORT:-}" ]] || die "WEBHOOK_PORT is not set (source .cache/e2e/run/ports.env)"
  # The webhook measures code the way Metacontroller's apply strategy stores it.
  local env=(PORT="$WEBHOOK_PORT" HOST=127.0.0.1 PYLAMBDA_APPLY_STRATEGY="${APPLY_STRATEGY:-server-side-apply}")
  [[ -z "${WEBHOOK_MAX_CODE_BYTES:-}" ]] || env+=(PYLAMBDA_MAX_CODE_BYTES="$WEBHOOK_MAX_CODE_BYTES")
  log "starting the webhook on 127.0.0.1:$WEBHOOK_PORT (PYLAMBDA_APPLY_STRATEGY=${APPLY_STRATEGY:-server-side-apply}${WEBHOOK_MAX_CODE_BYTES:+, PYLAMBDA_MAX_CODE_BYTES=$WEBHOOK_MAX_CODE_BYTES})"
  (cd "$ROOT" && start webhook env "${env[@]}" node dist/src/server.js)
  ready webhook 30 "webhook /readyz" http_ok webhook "http://127.0.0.1:$WEBHOOK_PORT/readyz"
}

# alive_and NAME COMMAND...: NAME is running and COMMAND succeeds.
alive_and() { alive "$1" && "${@:2}"; }
