#!/usr/bin/env bash
# Build the pinned e2e components from Go module sources into .cache/e2e/bin (skipped when the
# binaries for the pinned versions already exist):
#   kubernetes:     etcd, kube-apiserver, kube-controller-manager, kubectl, and the node's kubelet,
#                   kube-proxy, kube-scheduler (e2e/tools/kubernetes)
#   containerd:     containerd, ctr, containerd-shim-runc-v2 $CONTAINERD_VERSION from the Go module proxy
#   packages:       the Debian packages the node needs (runc, CNI plugins, nftables, ...), via apt-get
#   metacontroller: metacontroller, plus its CRD manifests copied to .cache/e2e/share (e2e/tools/metacontroller)
# Usage: e2e/build.sh [packages] [kubernetes] [containerd] [metacontroller]
#   (default: all four; kubernetes and metacontroller only with E2E_SKIP_NODE=1)
#
# Metacontroller's go.mod says `module metacontroller`, so it comes in through a replace with the
# GitHub module path at the v4.17.2 commit. Some module proxies refuse it, so PYLAMBDA_GOPROXY_DIR
# may name a local module mirror (see metacontroller_source). When no source has it, the build
# exits with EXIT_METACONTROLLER_UNAVAILABLE (3) and says what is missing; CI fails on that.
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
  if up_to_date kubernetes "$stamp" etcd kube-apiserver kube-controller-manager kubectl kubelet kube-proxy kube-scheduler; then
    log "kubernetes $KUBERNETES_VERSION binaries are up to date (etcd, kube-apiserver, kube-controller-manager, kubectl, kubelet, kube-proxy, kube-scheduler)"
    return
  fi
  log "downloading the Go modules for kubernetes $KUBERNETES_VERSION and etcd (first run only)..."
  (cd "$dir" && go mod download) >"$LOGS/download-kubernetes.log" 2>&1 || {
    tail -n 20 "$LOGS/download-kubernetes.log" >&2
    die "go mod download failed in e2e/tools/kubernetes"
  }
  rm -f "$BIN/.stamp-kubernetes"
  run_build kubernetes "kubernetes $KUBERNETES_VERSION (etcd, kube-apiserver, kube-controller-manager, kubectl, kubelet, kube-proxy, kube-scheduler)" 7 "$dir" "$KUBE_LDFLAGS" \
    ./cmd/etcd k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kube-scheduler
  echo "$stamp" >"$BIN/.stamp-kubernetes"
}

# metacontroller_source: make sure the go command has the pinned Metacontroller module. Sources,
# in order: the Go module cache; the configured module proxy (GOPROXY without its `direct` entry);
# a local module mirror, PYLAMBDA_GOPROXY_DIR (a directory laid out as a Go module proxy, used as
# file://); then GitHub (GOPROXY=direct). Whatever the source, go.sum alone decides what is accepted:
# the module's hash must be the one it pins.
metacontroller_source() {
  local dir="$E2E_DIR/tools/metacontroller" dl="$LOGS/download-metacontroller.log" proxies mirror=""
  : >"$dl"
  # try DESCRIPTION GOPROXY-VALUE: go mod download of the module through that GOPROXY.
  try() {
    echo "== $1 (GOPROXY=$2)" >>"$dl"
    (cd "$dir" && GOPROXY=$2 go mod download metacontroller) >>"$dl" 2>&1
  }
  if try "the Go module cache" off; then
    log "metacontroller $METACONTROLLER_VERSION: from the Go module cache"
    return
  fi
  proxies=$(go env GOPROXY | tr ',|' '\n\n' | grep -vxE 'direct|off|' | paste -sd, -) || true
  if [[ -n "$proxies" ]] && try "the configured module proxy" "$proxies"; then
    log "metacontroller $METACONTROLLER_VERSION: from the module proxy ($proxies)"
    return
  fi
  if [[ -n "${PYLAMBDA_GOPROXY_DIR:-}" ]]; then
    [[ -d "$PYLAMBDA_GOPROXY_DIR" ]] || die "PYLAMBDA_GOPROXY_DIR=$PYLAMBDA_GOPROXY_DIR is not a directory"
    mirror=$(cd "$PYLAMBDA_GOPROXY_DIR" && pwd)
    if try "the local module mirror" "file://$mirror"; then
      log "metacontroller $METACONTROLLER_VERSION: from the local module mirror $mirror (its hash is go.sum's)"
      return
    fi
    log "the local module mirror $mirror does not hold Metacontroller $METACONTROLLER_PSEUDO with go.sum's hash"
  fi
  log "trying GitHub (GOPROXY=direct)"
  if try "GitHub" direct; then
    log "metacontroller $METACONTROLLER_VERSION: from GitHub"
    return
  fi
  cat "$dl" >&2
  cat >&2 <<EOF
[e2e] ERROR: Metacontroller $METACONTROLLER_VERSION cannot be had on this machine. Missing: the Go module
  github.com/metacontroller/metacontroller@$METACONTROLLER_PSEUDO (commit $METACONTROLLER_COMMIT).
  Tried (attempts above): the Go module cache ($(go env GOMODCACHE)); the module proxy (${proxies:-none configured});
  the local module mirror (${mirror:-none: PYLAMBDA_GOPROXY_DIR is not set}); GitHub (GOPROXY=direct).
  To provide it, do one of:
  - set PYLAMBDA_GOPROXY_DIR to a directory laid out as a Go module proxy that holds it
    (github.com/metacontroller/metacontroller/@v/$METACONTROLLER_PSEUDO.{info,mod,zip});
    e2e/README.md says how to make one on a machine that reaches GitHub;
  - or set GOPROXY to a module proxy that serves it;
  - or fill this machine's Go module cache once: cd e2e/tools/metacontroller && go mod download
EOF
  exit "$EXIT_METACONTROLLER_UNAVAILABLE"
}

build_metacontroller() {
  local dir="$E2E_DIR/tools/metacontroller" stamp moddir
  stamp=$(stamp_of "$dir" "-s -w")
  if up_to_date metacontroller "$stamp" metacontroller && [[ -f "$SHARE/metacontroller/metacontroller-crds-v1.yaml" ]]; then
    log "metacontroller $METACONTROLLER_VERSION binary is up to date"
    return
  fi
  metacontroller_source
  log "downloading the Go modules Metacontroller $METACONTROLLER_VERSION needs (first run only)..."
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

# The node's Debian packages: installed with apt-get when a command they provide is missing.
NODE_PACKAGES=(runc:runc containernetworking-plugins:/usr/lib/cni/bridge nftables:nft iptables:iptables
  conntrack:conntrack mmdebstrap:mmdebstrap gcc:gcc libc6-dev:/usr/lib/x86_64-linux-gnu/libc.a)
install_packages() {
  local entry missing=()
  for entry in "${NODE_PACKAGES[@]}"; do
    local pkg=${entry%%:*} probe=${entry#*:}
    if [[ $probe == /* ]]; then [[ -e $probe ]] || missing+=("$pkg"); else command -v "$probe" >/dev/null || missing+=("$pkg"); fi
  done
  if ((!${#missing[@]})); then
    log "node packages are installed (${NODE_PACKAGES[*]%%:*})"
    return
  fi
  log "installing Debian packages for the node: ${missing[*]}"
  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}") \
    >"$LOGS/apt.log" 2>&1 || {
    tail -n 20 "$LOGS/apt.log" >&2
    die "apt-get install ${missing[*]} failed (log: $LOGS/apt.log)"
  }
}

# containerd from its Go module (the module proxy serves it); no_btrfs: no btrfs headers needed.
build_containerd() {
  local stamp m=github.com/containerd/containerd/v2/cmd
  stamp=$( (go version; echo "$CONTAINERD_VERSION no_btrfs") | sha256sum | cut -d' ' -f1)
  if up_to_date containerd "$stamp" containerd ctr containerd-shim-runc-v2; then
    log "containerd $CONTAINERD_VERSION binaries are up to date (containerd, ctr, containerd-shim-runc-v2)"
    return
  fi
  rm -f "$BIN/.stamp-containerd"
  local logf="$LOGS/build-containerd.log" start=$SECONDS
  log "building containerd $CONTAINERD_VERSION (first run ~1 min); log: ${logf#"$ROOT"/}"
  (cd "$BIN" && GOBIN="$BIN" GOFLAGS= go install -trimpath -tags no_btrfs -ldflags='-s -w' \
    "$m/containerd@$CONTAINERD_VERSION" "$m/ctr@$CONTAINERD_VERSION" "$m/containerd-shim-runc-v2@$CONTAINERD_VERSION") >"$logf" 2>&1 || {
    tail -n 30 "$logf" >&2
    die "building containerd failed (log: $logf)"
  }
  log "built containerd $CONTAINERD_VERSION in $((SECONDS - start))s"
  echo "$stamp" >"$BIN/.stamp-containerd"
}

components=("$@")
if ((!${#components[@]})); then
  # The worker node's parts unless the run goes without it (E2E_SKIP_NODE=1: see cluster-up.sh).
  if [[ -z "${E2E_SKIP_NODE:-}" ]]; then components=(packages kubernetes containerd metacontroller); else components=(kubernetes metacontroller); fi
fi
for c in "${components[@]}"; do
  case $c in
    kubernetes) build_kubernetes ;;
    metacontroller) build_metacontroller ;;
    containerd) build_containerd ;;
    packages) install_packages ;;
    *) die "unknown component: $c (packages, kubernetes, containerd, metacontroller)" ;;
  esac
done
