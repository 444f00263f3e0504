#!/usr/bin/env bash
# Stop the e2e worker node and undo what node-up.sh changed on this machine: processes by pid
# (kubelet, kube-proxy, kube-scheduler, containerd), pod processes (by their kubepods cgroups),
# containerd's shims, mounts, network namespaces, the bridge and its veths, the nft tables that
# were not there before, the kubepods cgroups, the sysctls (saved values). Safe to run twice.
# Runs without errexit: one failed step must not leave the rest undone.
set -uo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=e2e/node-lib.sh
source "$E2E_DIR/node-lib.sh"
start_down=$SECONDS
problems=()

# Everything below is machine-wide. A node that another worktree started and that still runs is
# that worktree's to stop: ours is gone, and only our stale record is left to drop.
owner=$(node_owner)
if [[ -n "$owner" && "$owner" != "$RUN" && -n "$(node_processes)" ]]; then
  log "node-down: the e2e node here was started by $owner and still runs; leaving it (stop it there)"
  rm -rf "$NODE_SAVED"
  exit 0
fi

for name in kube-scheduler kube-proxy kubelet apiserver-forward; do stop "$name"; done

# Pod processes: everything in a kubepods cgroup belongs to this node.
kill_cgroup_procs() {
  local f pids=""
  for f in $(find /sys/fs/cgroup -path '*kubepods*' -name cgroup.procs 2>/dev/null); do
    pids+=" $(cat "$f" 2>/dev/null)"
  done
  # shellcheck disable=SC2086
  [[ -z "${pids// /}" ]] || kill -KILL $pids 2>/dev/null
}
kill_cgroup_procs
# containerd's shims for our socket (found by their command line, which names our socket).
shim_pids() {
  local p
  for p in /proc/[0-9]*; do
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "containerd-shim-runc-v2 .*$CONTAINERD_SOCK" && echo "${p#/proc/}"
  done
}
stop containerd
for p in $(shim_pids); do kill -KILL "$p" 2>/dev/null; done
sleep 0.5
kill_cgroup_procs

# Mounts under the node's directories and the network namespaces this node created, deepest first.
for m in $(awk '{print $2}' /proc/self/mounts | grep -E "^($NODE_VAR|$NODE_RUNDIR)(/|$)" | sort -r); do
  umount -l "$m" 2>/dev/null || problems+=("could not unmount $m")
done
if [[ -d /run/netns ]]; then
  for ns in /run/netns/cni-*; do
    [[ -e "$ns" ]] || continue
    grep -qx "$(basename "$ns")" "$NODE_SAVED/netns" 2>/dev/null && continue
    umount "$ns" 2>/dev/null
    rm -f "$ns"
  done
fi

# The bridge, its veths, the nft tables that were not there before node-up.
for veth in $(ip -o link show master "$NODE_BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
  ip link del "$veth" 2>/dev/null
done
ip link del "$NODE_BRIDGE" 2>/dev/null
while read -r _ family table; do
  [[ -n "$table" ]] || continue
  if [[ ! -f "$NODE_SAVED/nft-tables" ]] || ! grep -qx "table $family $table" "$NODE_SAVED/nft-tables"; then
    [[ -f "$NODE_SAVED/nft-tables" || "$table" == "$NODE_NFT_TABLE" || "$table" == kube-proxy ]] || continue
    nft delete table "$family" "$table" 2>/dev/null || problems+=("could not delete nft table $family $table")
  fi
done < <(nft list tables 2>/dev/null)

# kubepods cgroups (empty now), deepest first.
for d in $(find /sys/fs/cgroup -depth -type d -path '*kubepods*' 2>/dev/null); do
  rmdir "$d" 2>/dev/null || problems+=("could not remove cgroup $d")
done

# Sysctls back to what node-up found.
if [[ -f "$NODE_SAVED/sysctls" ]]; then
  while IFS='=' read -r key value; do
    [[ "$(sysctl -n "$key" 2>/dev/null)" == "$value" ]] || sysctl -q -w "$key=$value" >/dev/null || problems+=("could not restore $key=$value")
  done <"$NODE_SAVED/sysctls"
  sysctls="sysctls restored"
else
  sysctls="sysctls left as they are (no saved values in ${NODE_SAVED#"$ROOT"/})"
fi

rm -rf "$NODE_VAR" "$NODE_RUNDIR" /var/log/containers /var/log/pods 2>/dev/null
[[ ! -e "$NODE_VAR" ]] || problems+=("$NODE_VAR is still there")
rm -rf "$NODE_SAVED"
if ((${#problems[@]})); then
  log "node-down: left behind: ${problems[*]}"
  exit 1
fi
log "node stopped and undone in $((SECONDS - start_down))s: processes, mounts, $NODE_BRIDGE, nft tables, kubepods cgroups, $sysctls"
