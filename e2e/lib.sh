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
