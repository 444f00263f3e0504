#!/usr/bin/env bash
# Build the pinned e2e components from Go module sources into .cache/e2e/bin (skipped when the
# binaries for the pinned versions already exist):
#   kubernetes:     etcd, kube-apiserver, kube-controller-manager, kubectl (e2e/tools/kubernetes)
#   metacontroller: metacontroller, plus its CRD manifests copied to .cache/e2e/share (e2e/tools/metacontroller)
# Usage: e2e/build.sh [kubernetes] [metacontroller]   (default: both)
#
# Metacontroller's go.mod says `module metacontroller`, so it comes in through a replace with the
# GitHub module path at the v4.17.2 commit. When neither the module proxy nor GitHub serves it,
# the build exits with EXIT_METACONTROLLER_UNAVAILABLE (3), which .ci/run reports as a skip.
set -euo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "$0")/lib.sh"

EXIT_METACONTROLLER_UNAVAILABLE=3
mkdir -p "$BIN" "$LOGS" "$SHARE"
command -v go >/dev/null || die "go is not installed (the e2e builds need Go $(sed -n 's/^toolchain go//p' "$E2E_DIR/tools/kubernetes/go.mod"))"

# What Kubernetes' own build stamps into its binaries (hack/lib/version.sh), so that `kubectl version`
# and the API server's /version say v1.36.3 (a released build, not "v0.0.0-master").
kube_major=${KUBERNETES_VERSION#v}
kube_major=${kube_major%%.*}
kube_minor=$(cut -d. -f2 <<<"$KUBERNETES_VERSION")
KUBE_LDFLAGS="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  KUBE_LDFLAGS+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=$kube_major -X $pkg.gitMinor=$kube_minor"
  KUBE_LDFLAGS+=" -X $pkg.gitTreeState=clean"
done

# stamp_of DIR LDFLAGS: a hash of everything that decides the build output of the tool module in DIR.
stamp_of() {
  (
    cd "$1"
    go version
    echo "$2"
    find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) -print0 | sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -d' ' -f1
}

# up_to_date NAME STAMP BINARIES...: true when the last build of NAME had STAMP and every binary exists.
up_to_date() {
  local name=$1 stamp=$2
  shift 2
  [[ -f "$BIN/.stamp-$name" && "$(cat "$BIN/.stamp-$name")" == "$stamp" ]] || return 1
  local b
  for b in "$@"; do [[ -x "$BIN/$b" ]] || return 1; done
}

# run_build NAME WHAT MINUTES DIR LDFLAGS GO-BUILD-ARGS...: go build -trimpath in DIR, logging to
# .cache/e2e/logs/build-NAME.log, printing a line every minute so that a long build is not silent.
run_build() {
  local name=$1 what=$2 minutes=$3 dir=$4 ldflags=$5
  shift 5
  local logf="$LOGS/build-$name.log" start=$SECONDS
  log "building $what (first run takes ~$minutes min on 2 cores; later runs seconds); log: ${logf#"$ROOT"/}"
  (cd "$dir" && exec go build -trimpath -buildvcs=false -ldflags="$ldflags" -o "$BIN/" "$@") >"$logf" 2>&1 &
  local pid=$! next=60
  trap 'kill "$pid" 2>/dev/null; exit 130' INT TERM
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if ((SECONDS - start >= next)); then
      log "  ... still building $what ($(((SECONDS - start) / 60)) min so far)"
      next=$((next + 60))
    fi
  done
  trap - INT TERM
  if ! wait "$pid"; then
    tail -n 40 "$logf" >&2
    die "building $name failed (full log: $logf)"
  fi
  log "built $what in $((SECONDS - start))s"
}

build_kubernetes() {
  local dir="$E2E_DIR/tools/kubernetes" stamp
  stamp=$(stamp_of "$dir" "$KUBE_LDFLAGS")
  if up_to_date kubernetes "$stamp" etcd kube-apiserver kube-controller-manager kubectl; then
    log "kubernetes $KUBERNETES_VERSION binaries are up to date (etcd, kube-apiserver, kube-controller-manager, kubectl)"
    return
  fi
  log "downloading the Go modules for kubernetes $KUBERNETES_VERSION and etcd (first run only)..."
  (cd "$dir" && go mod download) >"$LOGS/download-kubernetes.log" 2>&1 || {
    tail -n 20 "$LOGS/download-kubernetes.log" >&2
    die "go mod download failed in e2e/tools/kubernetes"
  }
  rm -f "$BIN/.stamp-kubernetes"
  run_build kubernetes "kubernetes $KUBERNETES_VERSION (etcd, kube-apiserver, kube-controller-manager, kubectl)" 6 "$dir" "$KUBE_LDFLAGS" \
    ./cmd/etcd k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
  echo "$stamp" >"$BIN/.stamp-kubernetes"
}

# metacontroller_source: make sure the go command can get the pinned Metacontroller module: from
# the Go module cache, the module proxy, or (where the proxy does not serve it) straight from
# GitHub with GOPROXY=direct. Whatever the route, go.sum pins the module's hash.
metacontroller_source() {
  local dir="$E2E_DIR/tools/metacontroller"
  if (cd "$dir" && go mod download metacontroller) >"$LOGS/download-metacontroller.log" 2>&1; then
    return
  fi
  log "the module proxy does not serve Metacontroller $METACONTROLLER_VERSION; trying GOPROXY=direct"
  if (cd "$dir" && GOPROXY=direct go mod download metacontroller) >>"$LOGS/download-metacontroller.log" 2>&1; then
    return
  fi
  cat "$LOGS/download-metacontroller.log" >&2
  echo "e2e: Metacontroller $METACONTROLLER_VERSION ($METACONTROLLER_PSEUDO) cannot be downloaded here: the Go module
  proxy refuses github.com/metacontroller/metacontroller and GitHub is not reachable (GOPROXY=direct).
  It is not in this machine's Go module cache either. See e2e/README.md." >&2
  exit "$EXIT_METACONTROLLER_UNAVAILABLE"
}

build_metacontroller() {
  local dir="$E2E_DIR/tools/metacontroller" stamp moddir
  stamp=$(stamp_of "$dir" "-s -w")
  if up_to_date metacontroller "$stamp" metacontroller && [[ -f "$SHARE/metacontroller/metacontroller-crds-v1.yaml" ]]; then
    log "metacontroller $METACONTROLLER_VERSION binary is up to date"
    return
  fi
  log "downloading the Go modules for metacontroller $METACONTROLLER_VERSION (first run only)..."
  metacontroller_source
  (cd "$dir" && go mod download) >>"$LOGS/download-metacontroller.log" 2>&1 || {
    tail -n 20 "$LOGS/download-metacontroller.log" >&2
    die "go mod download failed in e2e/tools/metacontroller"
  }
  rm -f "$BIN/.stamp-metacontroller"
  run_build metacontroller "metacontroller $METACONTROLLER_VERSION" 3 "$dir" "-s -w" metacontroller/pkg/cmd/metacontroller
  moddir=$(cd "$dir" && go list -m -f '{{.Dir}}' metacontroller)
  mkdir -p "$SHARE/metacontroller"
  cp "$moddir/manifests/production/metacontroller-crds-v1.yaml" "$moddir/manifests/production/metacontroller-namespace.yaml" \
    "$SHARE/metacontroller/"
  chmod u+w "$SHARE/metacontroller/"*
  echo "$stamp" >"$BIN/.stamp-metacontroller"
}

components=("$@")
((${#components[@]})) || components=(kubernetes metacontroller)
for c in "${components[@]}"; do
  case $c in
    kubernetes) build_kubernetes ;;
    metacontroller) build_metacontroller ;;
    *) die "unknown component: $c (kubernetes, metacontroller)" ;;
  esac
done
