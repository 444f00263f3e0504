#!/usr/bin/env bash
# Start a real control plane on 127.0.0.1 and leave it running:
#   etcd, kube-apiserver, kube-controller-manager (pinned builds from e2e/build.sh),
#   Metacontroller v4.17.2 out of cluster with --kubeconfig (CRDs from its module), as its
#   ServiceAccount under config/metacontroller's ClusterRole (a token in metacontroller.kubeconfig),
#   our webhook service on the host (if src/server.ts exists), and config/local applied
#   (our CRD and controllers, hooks pointed at the host webhook).
# Certificates are generated per run; ports are free loopback ports picked per run.
# State: .cache/e2e/run/ (kubeconfig, pki, pids, ports); logs: .cache/e2e/logs/.
# Env: APPLY_STRATEGY=server-side-apply (default) | dynamic-apply   Metacontroller's --apply-strategy
#      PYLAMBDA_MAX_CODE_BYTES   the webhook's code size limit (default: the one that fits the strategy)
#      E2E_SKIP_WEBHOOK=1   do not start the webhook nor apply config/local
#      E2E_SKIP_NODE=1      no worker node (e2e/node-up.sh: containerd, kubelet, kube-proxy, kube-scheduler)
# Stop with e2e/cluster-down.sh.
set -euo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=e2e/node-lib.sh
source "$E2E_DIR/node-lib.sh"

APPLY_STRATEGY=${APPLY_STRATEGY:-server-side-apply}
case $APPLY_STRATEGY in
  server-side-apply | dynamic-apply) ;;
  *) die "APPLY_STRATEGY must be server-side-apply or dynamic-apply, not '$APPLY_STRATEGY'" ;;
esac

# The webhook is told the apply strategy (PYLAMBDA_APPLY_STRATEGY; config/manager leaves it unset,
# to be read from each request) and measures code against that strategy's default limit, so the
# scenarios know which limit they meet; PYLAMBDA_MAX_CODE_BYTES overrides the limit.
WEBHOOK_MAX_CODE_BYTES=${PYLAMBDA_MAX_CODE_BYTES:-}

if compgen -G "$RUN/*.pid" >/dev/null; then
  for f in "$RUN"/*.pid; do
    if kill -0 "$(cat "$f")" 2>/dev/null; then
      die "a cluster is already running (${f#"$ROOT"/}); run 'make cluster-down' first"
    fi
  done
fi

"$E2E_DIR/build.sh"

# All but node/ when the node on this machine is the one this worktree started and never undid
# (node-down removes node/): node-up then reclaims it with what it saved (sysctls, the nft tables
# found before it). Any other node/ is a spent record.
if [[ -d "$RUN" ]]; then
  if [[ "$(node_owner)" == "$RUN" ]]; then
    find "$RUN" -mindepth 1 -maxdepth 1 ! -name node -exec rm -rf {} +
  else
    rm -rf "$RUN"
  fi
fi
mkdir -p "$RUN/pki" "$LOGS"
# Each component's log is for this run only.
rm -f "$LOGS"/{etcd,kube-apiserver,kube-controller-manager,metacontroller,webhook}.log

# If anything below fails, stop what was started (a half-up cluster helps nobody).
up_ok=0
on_exit() {
  if ((!up_ok)); then
    log "cluster-up failed; stopping what was started (logs stay in ${LOGS#"$ROOT"/})"
    "$E2E_DIR/cluster-down.sh" || true
  fi
}
trap on_exit EXIT

# ---------------------------------------------------------------- ports
read -r -d '' ETCD_PORT ETCD_PEER_PORT APISERVER_PORT KCM_PORT MC_METRICS_PORT MC_HEALTH_PORT WEBHOOK_PORT \
  < <(free_ports 7 && printf '\0') || true
cat >"$RUN/ports.env" <<EOF
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
KCM_PORT=$KCM_PORT
MC_METRICS_PORT=$MC_METRICS_PORT
MC_HEALTH_PORT=$MC_HEALTH_PORT
WEBHOOK_PORT=$WEBHOOK_PORT
APPLY_STRATEGY=$APPLY_STRATEGY
WEBHOOK_MAX_CODE_BYTES=$WEBHOOK_MAX_CODE_BYTES
EOF
log "ports on 127.0.0.1: etcd $ETCD_PORT, kube-apiserver $APISERVER_PORT, kube-controller-manager $KCM_PORT, metacontroller metrics $MC_METRICS_PORT / health $MC_HEALTH_PORT, webhook $WEBHOOK_PORT"

# ---------------------------------------------------------------- certificates (per run)
log "generating certificates"
PKI="$RUN/pki"
(
  cd "$PKI"
  ec() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }
  # sign NAME SUBJECT EXTENSIONS: a certificate for NAME.key signed by the run's CA.
  sign() {
    ec "$1.key"
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
    printf '%s\n' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 \
      -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
  }
  ec ca.key
  openssl req -x509 -new -key ca.key -subj "/CN=pylambda-e2e-ca" -days 2 -sha256 -out ca.crt 2>/dev/null
  sign apiserver "/CN=kube-apiserver" "$(printf '%s\n' \
    'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
    "subjectAltName=IP:127.0.0.1,IP:$KUBERNETES_SERVICE_IP,IP:$POD_GATEWAY,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc")"
  client='basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'
  sign admin "/O=system:masters/CN=pylambda-e2e-admin" "$client"
  sign kube-controller-manager "/CN=system:kube-controller-manager" "$client"
  # The API server's client certificate for the node's kubelet (kubectl logs/exec/port-forward).
  sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
  # Service-account tokens are signed with this RSA key pair.
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  chmod 600 ./*.key
)

# kubeconfig NAME FILE [TOKEN]: a kubeconfig for user NAME, with the client certificate NAME, or
# with TOKEN when given.
kubeconfig() {
  local credentials
  if (($# > 2)); then
    credentials="    token: $3"
  else
    credentials="    client-certificate-data: $(base64 -w0 <"$PKI/$1.crt")
    client-key-data: $(base64 -w0 <"$PKI/$1.key")"
  fi
  cat >"$2" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: pylambda-e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $1
  user:
$credentials
contexts:
- name: pylambda-e2e
  context:
    cluster: pylambda-e2e
    user: $1
    namespace: default
current-context: pylambda-e2e
EOF
  chmod 600 "$2"
}
kubeconfig admin "$RUN/kubeconfig"
kubeconfig kube-controller-manager "$RUN/kube-controller-manager.kubeconfig"
export KUBECONFIG="$RUN/kubeconfig"
KUBECTL="$BIN/kubectl"


# ---------------------------------------------------------------- etcd
log "starting etcd"
start etcd "$BIN/etcd" --name=e2e --data-dir="$RUN/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="e2e=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state=new \
  --unsafe-no-fsync --quota-backend-bytes=2147483648 --log-level=warn
ready etcd 30 "etcd /health" http_ok etcd "http://127.0.0.1:$ETCD_PORT/health"

# ---------------------------------------------------------------- kube-apiserver
log "starting kube-apiserver"
start kube-apiserver "$BIN/kube-apiserver" \
  --bind-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
  --advertise-address="$POD_GATEWAY" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --authorization-mode=Node,RBAC \
  --allow-privileged=true --profiling=false --v=1 $(apiserver_node_flags)
ready kube-apiserver 90 "kube-apiserver /readyz" http_ok kube-apiserver --cacert "$PKI/ca.crt" \
  --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://127.0.0.1:$APISERVER_PORT/readyz"

# ---------------------------------------------------------------- kube-controller-manager
log "starting kube-controller-manager"
start kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig="$RUN/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig="$RUN/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig="$RUN/kube-controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$RUN/kube-controller-manager-certs" \
  --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --controllers='*' --profiling=false --v=1
ready kube-controller-manager 60 "kube-controller-manager /healthz" http_ok kube-controller-manager -k \
  "https://127.0.0.1:$KCM_PORT/healthz"
# The namespace controller and the service-account controllers are up once "default" has its token-less SA.
wait_for 60 "the default ServiceAccount" "$KUBECTL" get serviceaccount default -n default ||
  die "kube-controller-manager did not create the default ServiceAccount; see ${LOGS#"$ROOT"/}/kube-controller-manager.log"

# ---------------------------------------------------------------- the worker node (e2e/node-up.sh)
if [[ -z "${E2E_SKIP_NODE:-}" ]]; then
  with_node_lock "$E2E_DIR/node-up.sh" || die "the worker node did not start (see above)"
else
  log "E2E_SKIP_NODE is set: no worker node (pods stay Pending)"
fi

# ---------------------------------------------------------------- Metacontroller
log "applying Metacontroller $METACONTROLLER_VERSION CRDs"
"$KUBECTL" apply --server-side -f "$SHARE/metacontroller/metacontroller-namespace.yaml" \
  -f "$SHARE/metacontroller/metacontroller-crds-v1.yaml" >/dev/null
"$KUBECTL" wait --for=condition=Established --timeout=60s \
  crd/compositecontrollers.metacontroller.k8s.io crd/decoratorcontrollers.metacontroller.k8s.io \
  crd/controllerrevisions.metacontroller.k8s.io >/dev/null

# metacontroller_identity: Metacontroller's ServiceAccount bound to config/metacontroller's
# ClusterRole (and leader-election Role), and a kubeconfig with a token for it, so that every
# scenario runs under the RBAC `make deploy` installs rather than as cluster-admin.
metacontroller_identity() {
  local rbac="$ROOT/config/metacontroller" token
  log "binding Metacontroller's ServiceAccount to config/metacontroller/clusterrole.yaml"
  "$KUBECTL" apply --server-side -f "$rbac/clusterrole.yaml" -f "$rbac/leader-election-rbac.yaml" >/dev/null
  "$KUBECTL" create serviceaccount metacontroller -n metacontroller >/dev/null
  "$KUBECTL" create clusterrolebinding metacontroller --clusterrole=metacontroller \
    --serviceaccount=metacontroller:metacontroller >/dev/null
  # The certificates live 2 days; so does the token.
  token=$("$KUBECTL" create token metacontroller -n metacontroller --duration=48h)
  kubeconfig metacontroller "$RUN/metacontroller.kubeconfig" "$token"
}
metacontroller_identity

log "starting Metacontroller $METACONTROLLER_VERSION (--apply-strategy=$APPLY_STRATEGY, as system:serviceaccount:metacontroller:metacontroller)"
start metacontroller "$BIN/metacontroller" --kubeconfig="$RUN/metacontroller.kubeconfig" \
  --discovery-interval=2s --apply-strategy="$APPLY_STRATEGY" \
  --metrics-address="127.0.0.1:$MC_METRICS_PORT" --health-probe-bind-address="127.0.0.1:$MC_HEALTH_PORT" \
  --pprof-address=0 --client-go-qps=50 --client-go-burst=100 --zap-log-level=4
ready metacontroller 60 "Metacontroller /readyz" http_ok metacontroller "http://127.0.0.1:$MC_HEALTH_PORT/readyz"

# ---------------------------------------------------------------- our webhook and config/local
if [[ -n "${E2E_SKIP_WEBHOOK:-}" ]]; then
  log "E2E_SKIP_WEBHOOK is set: not starting the webhook nor applying config/local"
elif [[ ! -f "$ROOT/src/server.ts" ]]; then
  log "src/server.ts does not exist yet: the webhook is not started and config/local is not applied"
else
  log "building the webhook (make build)"
  make -C "$ROOT" --no-print-directory build >"$LOGS/webhook-build.log" 2>&1 || {
    tail -n 30 "$LOGS/webhook-build.log" >&2
    die "make build failed (log: ${LOGS#"$ROOT"/}/webhook-build.log)"
  }
  start_webhook

  if [[ -d "$ROOT/config/crd" && -d "$ROOT/config/controllers" ]]; then
    log "applying config/local (our CRD and controllers, hooks at http://127.0.0.1:$WEBHOOK_PORT)"
    "$KUBECTL" kustomize "$ROOT/config/local" | sed "s/__WEBHOOK_PORT__/$WEBHOOK_PORT/g" >"$RUN/config-local.yaml"
    mc_log_from=$(($(wc -l <"$LOGS/metacontroller.log") + 1))
    "$KUBECTL" apply --server-side -f "$RUN/config-local.yaml" >/dev/null
    # Every hook must reach the host webhook: a hook added later without a url in config/local
    # would point at an in-cluster Service that does not exist here.
    "$KUBECTL" get compositecontrollers,decoratorcontrollers -o json >"$RUN/controllers.json"
    python3 - "$RUN/controllers.json" <<'EOF'
import json, sys
bad = []
for c in json.load(open(sys.argv[1]))["items"]:
    for hook_name, hook in (c["spec"].get("hooks") or {}).items():
        if not (hook.get("webhook") or {}).get("url", "").startswith("http://127.0.0.1:"):
            bad.append("%s/%s hook %s" % (c["kind"], c["metadata"]["name"], hook_name))
if bad:
    sys.exit("config/local leaves these hooks without a url on 127.0.0.1: " + ", ".join(bad))
EOF
    "$KUBECTL" wait --for=condition=Established --timeout=60s crd/pythonlambdas.pylambda.dev >/dev/null
    # Up means both controllers run: Metacontroller finds the new CRD by polling discovery and
    # backs off exponentially until it does, so a lambda created in the first seconds could
    # wait many more for its first sync. Its log says when each controller's caches synced.
    for controller in PythonLambda pylambda-deployment-decorator; do
      # shellcheck disable=SC2016 # $1..$3 are bash -c's arguments
      wait_for 60 "Metacontroller to start the $controller controller" \
        bash -c 'tail -n "+$1" "$2" | grep -qF "\"msg\":\"Caches are synced\",\"controller\":\"$3\""' \
        _ "$mc_log_from" "$LOGS/metacontroller.log" "$controller" ||
        die "Metacontroller did not start the $controller controller in 60s (no 'Caches are synced' for it in ${LOGS#"$ROOT"/}/metacontroller.log)"
    done
  else
    log "config/crd or config/controllers does not exist yet: config/local is not applied"
  fi
fi

up_ok=1
cat <<EOF

The e2e control plane is up (Kubernetes $KUBERNETES_VERSION, Metacontroller $METACONTROLLER_VERSION, --apply-strategy=$APPLY_STRATEGY).
  logs:  ${LOGS#"$ROOT"/}/   state: ${RUN#"$ROOT"/}/   stop: make cluster-down
Use it with:
  export KUBECONFIG=$RUN/kubeconfig
  export PATH=$BIN:\$PATH   # kubectl $KUBERNETES_VERSION
EOF
