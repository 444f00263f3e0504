#!/usr/bin/env bash
# Start the e2e worker node beside the control plane (called by cluster-up.sh once the API server
# is up; needs .cache/e2e/run/ports.env, pki/ and kubeconfig): containerd, the CNI bridge, an nft
# guard table, the images from e2e/images, the kubelet, kube-proxy (nftables) and kube-scheduler.
# Everything it changes is recorded under .cache/e2e/run/node/ and undone by node-down.sh.
set -euo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=e2e/node-lib.sh
source "$E2E_DIR/node-lib.sh"
# shellcheck disable=SC1091
source "$RUN/ports.env"
export KUBECONFIG="$RUN/kubeconfig"
start_node=$SECONDS

[[ $(id -u) == 0 ]] || die "the e2e node needs root (containerd, the kubelet, network namespaces)"
if node_state_exists; then
  # A run that was killed (or a machine restored from a snapshot taken while a cluster was up)
  # leaves the node's directories, mounts, bridge and nft tables with no process behind them:
  # nobody is left to run node-down for it, so this run does. A node that still runs is refused.
  owner=$(node_owner)
  live=$(node_processes)
  [[ -z "$live" ]] || die "an e2e node is running on this machine (started by ${owner:-an unknown worktree}); stop it with 'make cluster-down' in the worktree that started it. Its processes:
$live"
  log "node: reclaiming a stale e2e node ($NODE_VAR, $NODE_RUNDIR or $NODE_BRIDGE is here, none of its processes runs; started by ${owner:-an unknown worktree})"
  # node-down restores what that run saved (sysctls, the nft tables that were there before it)
  # when its worktree still holds the record; never a record of ours from an older node.
  if [[ "$owner" != "$RUN" ]]; then
    rm -rf "$NODE_SAVED"
    if [[ -n "$owner" && -d "$owner/node" ]]; then
      mkdir -p "$NODE_SAVED" && cp -a "$owner/node/." "$NODE_SAVED/"
    fi
  fi
  "$E2E_DIR/node-down.sh" || die "could not undo the stale e2e node (see above); undo the rest by hand"
  # That record is spent: left there, it would make that worktree's cluster-down undo whatever
  # node runs here next.
  if [[ -n "$owner" && "$owner" != "$RUN" ]]; then rm -rf "$owner/node"; fi
  ! node_state_exists || die "the stale e2e node is still here after node-down ($NODE_VAR, $NODE_RUNDIR or $NODE_BRIDGE)"
fi
defif=$(default_interface)
if ip -4 route show | grep -qE '^10\.244\.|^10\.96\.'; then
  die "the pod CIDR $POD_CIDR or service CIDR $SERVICE_CIDR is already routed here: $(ip -4 route show | grep -E '^10\.(244|96)\.')"
fi

# ---------------------------------------------------------------- what is here before we start
mkdir -p "$NODE_SAVED"
for s in "${NODE_SYSCTLS[@]}"; do
  v=$(sysctl -n "$s" 2>/dev/null) && echo "$s=$v"
done >"$NODE_SAVED/sysctls"
nft list tables >"$NODE_SAVED/nft-tables"
ls /run/netns 2>/dev/null >"$NODE_SAVED/netns" || true
echo "$defif" >"$NODE_SAVED/default-interface"
mkdir -p "$NODE_VAR" "$NODE_RUNDIR/cni/net.d" "$NODE_RUNDIR/cni/ipam"
# Who started this node, for a later run that finds it stale (kept in $NODE_VAR: /run may not survive).
echo "$RUN" >"$NODE_VAR/owner"

read -r -d '' KUBELET_PORT KUBELET_HEALTHZ_PORT KPROXY_HEALTHZ_PORT KPROXY_METRICS_PORT SCHEDULER_PORT \
  < <(free_ports 5 && printf '\0') || true
cat >>"$RUN/ports.env" <<EOT
KUBELET_PORT=$KUBELET_PORT
KUBELET_HEALTHZ_PORT=$KUBELET_HEALTHZ_PORT
KPROXY_HEALTHZ_PORT=$KPROXY_HEALTHZ_PORT
KPROXY_METRICS_PORT=$KPROXY_METRICS_PORT
SCHEDULER_PORT=$SCHEDULER_PORT
EOT
log "node: kubelet $KUBELET_PORT (healthz $KUBELET_HEALTHZ_PORT), kube-proxy healthz $KPROXY_HEALTHZ_PORT, kube-scheduler $SCHEDULER_PORT; pods $POD_CIDR on $NODE_BRIDGE"

# ---------------------------------------------------------------- certificates
PKI="$RUN/pki"
(
  cd "$PKI"
  sign() {
    openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
    openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
    printf '%s\n' "$3" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 \
      -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
    chmod 600 "$1.key"
  }
  client=$'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth'
  sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "$client"
  sign kube-proxy "/CN=system:kube-proxy" "$client"
  sign kube-scheduler "/CN=system:kube-scheduler" "$client"
  sign kubelet-serving "/CN=$NODE_NAME" $'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:'"$POD_GATEWAY,IP:127.0.0.1,DNS:$NODE_NAME"
)
for who in kubelet kube-proxy kube-scheduler; do
  sed -e "s#client-certificate-data: .*#client-certificate-data: $(base64 -w0 <"$PKI/$who.crt")#" \
    -e "s#client-key-data: .*#client-key-data: $(base64 -w0 <"$PKI/$who.key")#" \
    -e "s#- name: admin#- name: $who#" -e "s#user: admin#user: $who#" "$RUN/kubeconfig" >"$RUN/$who.kubeconfig"
  chmod 600 "$RUN/$who.kubeconfig"
done

# ---------------------------------------------------------------- network: bridge, CNI, guard
log "node: CNI bridge $NODE_BRIDGE ($POD_CIDR, default gateway $POD_GATEWAY) and the nft guard table inet $NODE_NFT_TABLE"
ip link add "$NODE_BRIDGE" type bridge
ip addr add "$POD_GATEWAY/24" dev "$NODE_BRIDGE"
ip link set "$NODE_BRIDGE" up
[[ $(ip -4 route get "$POD_GATEWAY" | head -1) == *"dev $NODE_BRIDGE"* || $(ip -4 route get 10.244.0.2 | head -1) == *"dev $NODE_BRIDGE"* ]] ||
  die "$POD_CIDR does not route to $NODE_BRIDGE: $(ip -4 route get 10.244.0.2)"
cat >"$NODE_RUNDIR/cni/net.d/10-pylambda-e2e.conflist" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "pylambda-e2e",
  "plugins": [
    {
      "type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "isDefaultGateway": true,
      "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY" }]],
                "dataDir": "$NODE_RUNDIR/cni/ipam" }
    }
  ]
}
EOT
# The guard: nothing for the pod or service CIDR leaves through the default interface, and no pod
# packet leaves that way unless a rule in chain pod_egress accepts it (e2e/node-egress.sh opens one).
# Priority 0 is after DNAT (a ClusterIP is already rewritten to a pod IP) and before SNAT.
nft -f - <<EOT
table inet $NODE_NFT_TABLE {
  chain pod_egress {
  }
  chain postrouting {
    type filter hook postrouting priority 0; policy accept;
    oifname "$defif" ip daddr { $POD_CIDR, $SERVICE_CIDR } counter drop
    oifname "$defif" ip saddr $POD_CIDR jump pod_egress
    oifname "$defif" ip saddr $POD_CIDR counter drop
  }
}
EOT

# ---------------------------------------------------------------- containerd
log "node: starting containerd $CONTAINERD_VERSION"
cat >"$RUN/containerd.toml" <<EOT
version = 3
root = "$NODE_VAR/containerd"
state = "$NODE_RUNDIR/containerd"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  level = "warn"
[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = "$PAUSE_IMAGE"
[plugins.'io.containerd.cri.v1.images'.registry]
  config_path = "$RUN/registry.d"
[plugins.'io.containerd.cri.v1.runtime']
  # Root here lacks CAP_SYS_RESOURCE: writing a negative oom_score_adj fails every sandbox.
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$CNI_BIN_DIR"]
    conf_dir = "$NODE_RUNDIR/cni/net.d"
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
[plugins.'io.containerd.grpc.v1.cri']
  disable_tcp_service = true
EOT
# No image is ever pulled here (every image the node needs is imported): each registry resolves to
# a closed port on loopback, so an image the node lacks fails at once with ErrImagePull and no
# pull ever leaves the machine.
mkdir -p "$RUN/registry.d/_default"
cat >"$RUN/registry.d/_default/hosts.toml" <<'EOT'
server = "http://127.0.0.1:9"
[host."http://127.0.0.1:9"]
  capabilities = ["pull", "resolve"]
EOT
rm -f "$LOGS"/{containerd,kubelet,kube-proxy,kube-scheduler}.log
start containerd env PATH="$BIN:$PATH" "$BIN/containerd" --config "$RUN/containerd.toml"
ready containerd 30 "containerd" alive_and containerd ctr_ version

# ---------------------------------------------------------------- images
"$E2E_DIR/images/import.sh"
"$E2E_DIR/runtime-image.sh"

# ---------------------------------------------------------------- kubelet
log "node: starting the kubelet ($NODE_NAME, InternalIP $POD_GATEWAY)"
cat >"$RUN/kubelet.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 only; the kubelet refuses it unless told.
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# The API server reaches the kubelet (logs, exec, port-forward) at the node's InternalIP: the
# kubelet refuses a loopback --node-ip, so the node's address is the bridge's, which exists by now.
address: $POD_GATEWAY
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
failSwapOn: false
podLogsDir: $NODE_VAR/pod-logs
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
nodeStatusUpdateFrequency: 2s
syncFrequency: 5s
shutdownGracePeriod: 0s
EOT
start kubelet "$BIN/kubelet" --config="$RUN/kubelet.yaml" --kubeconfig="$RUN/kubelet.kubeconfig" \
  --root-dir="$NODE_VAR/kubelet" --cert-dir="$RUN/kubelet-certs" --hostname-override="$NODE_NAME" \
  --node-ip="$POD_GATEWAY" --v=1
ready kubelet 60 "the kubelet's /healthz" http_ok kubelet "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"

# ---------------------------------------------------------------- the API server, for pods
# kube-apiserver listens on 127.0.0.1, which a pod cannot reach; the `kubernetes` Service
# advertises the bridge address (cluster-up.sh), and this forwards it there (a pod with a
# service-account token, such as config/certs's job, calls the API like in any cluster).
log "node: forwarding $POD_GATEWAY:$APISERVER_PORT (the kubernetes Service's endpoint) to the API server"
rm -f "$LOGS/apiserver-forward.log"
start apiserver-forward python3 "$E2E_DIR/apiserver-forward.py" "$POD_GATEWAY" "$APISERVER_PORT" "$APISERVER_PORT"
ready apiserver-forward 10 "the API server through $POD_GATEWAY" http_ok apiserver-forward --cacert "$PKI/ca.crt" \
  --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://$POD_GATEWAY:$APISERVER_PORT/readyz"

# ---------------------------------------------------------------- kube-proxy, kube-scheduler
log "node: starting kube-proxy (nftables mode) and kube-scheduler"
cat >"$RUN/kube-proxy.yaml" <<EOT
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clientConnection: {kubeconfig: $RUN/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
bindAddress: 127.0.0.1
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:$KPROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$KPROXY_METRICS_PORT
nodePortAddresses: ["127.0.0.1/32"]
# Leave the conntrack sysctls alone.
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOT
start kube-proxy "$BIN/kube-proxy" --config="$RUN/kube-proxy.yaml" --v=1
start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$RUN/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig="$RUN/kube-scheduler.kubeconfig" --authorization-kubeconfig="$RUN/kube-scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false --profiling=false --v=1
ready kube-proxy 60 "kube-proxy /healthz" http_ok kube-proxy "http://127.0.0.1:$KPROXY_HEALTHZ_PORT/healthz"
ready kube-scheduler 60 "kube-scheduler /healthz" http_ok kube-scheduler -k "https://127.0.0.1:$SCHEDULER_PORT/healthz"
"$BIN/kubectl" wait --for=condition=Ready --timeout=60s "node/$NODE_NAME" >/dev/null ||
  die "node $NODE_NAME did not turn Ready; see ${LOGS#"$ROOT"/}/kubelet.log"
log "node: $NODE_NAME is Ready (node-up took $((SECONDS - start_node))s)"
