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
