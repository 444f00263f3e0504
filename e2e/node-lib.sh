# The e2e worker node (sourced after lib.sh): names, paths and CIDRs shared by node-up/node-down.
# The node is machine-global (one per machine): its state lives outside the worktree, and every
# node-up/node-down runs under the lock file $NODE_LOCK.
# shellcheck shell=bash

NODE_NAME=pylambda-e2e-node
NODE_LOCK=/tmp/pylambda-node.lock
NODE_VAR=/var/lib/pylambda-e2e   # containerd's root, the kubelet's root dir, pod logs
NODE_RUNDIR=/run/pylambda-e2e     # containerd's state and socket, CNI config and IPAM state
NODE_SAVED="$RUN/node"            # what node-up found before it changed anything (for node-down)
CONTAINERD_SOCK="$NODE_RUNDIR/containerd.sock"
NODE_BRIDGE=pyl-e2e0
POD_CIDR=10.244.0.0/24
POD_GATEWAY=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
# The `kubernetes` Service's ClusterIP (the first of SERVICE_CIDR), which pods call the API at.
KUBERNETES_SERVICE_IP=10.96.0.1
NODE_NFT_TABLE=pylambda_e2e       # our guard table (family inet)
CNI_BIN_DIR=/usr/lib/cni
PAUSE_IMAGE=registry.k8s.io/pause:3.10.2
# Sysctls the kubelet, kube-proxy or the bridge plugin may change: saved by node-up, restored by node-down.
NODE_SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward
  net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables)

# The API server's flags for reaching the kubelet (kubectl logs/exec/port-forward): a client
# certificate the kubelet's webhook authorizer accepts, and the node's InternalIP (the bridge's
# address $POD_GATEWAY: the kubelet refuses a loopback node IP and would report no address at all).
apiserver_node_flags() {
  printf '%s\n' --kubelet-client-certificate="$RUN/pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$RUN/pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname
}

ctr_() { "$BIN/ctr" --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

# default_interface: the interface of the default route (traffic that would leave the machine).
default_interface() { ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}'; }

# node_state_exists: this machine holds an e2e node's state (running, or left by a run that did not stop).
node_state_exists() { [[ -e "$NODE_VAR" || -e "$NODE_RUNDIR" ]] || ip link show "$NODE_BRIDGE" >/dev/null 2>&1; }

# node_processes: "pid command" of each running process of an e2e node, from any worktree: the
# kubelet (its root dir is $NODE_VAR), containerd's shims (they name $CONTAINERD_SOCK), and
# containerd, kube-proxy and kube-scheduler (their configs are in a worktree's .cache/e2e/run/);
# and containerd itself if its socket answers, however it was started.
node_processes() {
  local p cmd exe
  for p in /proc/[0-9]*; do
    # argv[0] as it is (a worktree path may hold spaces); a process may exit while we read.
    IFS= read -r -d '' exe 2>/dev/null <"$p/cmdline" || continue
    cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    case ${exe##*/} in
      kubelet) [[ $cmd == *"$NODE_VAR/"* ]] ;;
      containerd-shim*) [[ $cmd == *"$CONTAINERD_SOCK"* ]] ;;
      containerd | kube-proxy | kube-scheduler) [[ $cmd == */.cache/e2e/run/* ]] ;;
      *) false ;;
    esac && echo "${p#/proc/} ${cmd:0:200}"
  done
  if [[ -S "$CONTAINERD_SOCK" && -x "$BIN/ctr" ]] && timeout 5 "$BIN/ctr" --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
    echo "containerd answers on $CONTAINERD_SOCK"
  fi
  return 0
}

# with_node_lock COMMAND...: run COMMAND holding $NODE_LOCK (one node-up or node-down at a time on
# this machine). -o: the lock is not passed on to the daemons COMMAND starts, or they would hold it.
# Returns 75 when the lock stays taken: the caller decides (cluster-down still stops the rest).
with_node_lock() {
  local rc=0
  flock -o -w 300 -E 75 "$NODE_LOCK" "$@" || rc=$?
  ((rc != 75)) || log "another node-up or node-down held $NODE_LOCK for 300s"
  return $rc
}

# node_owner: the run directory of the worktree that started the node on this machine, if any.
node_owner() { cat "$NODE_VAR/owner" 2>/dev/null || true; }
