#!/usr/bin/env bash
# Open or close the node's one deliberate pod egress: pip in a requirements init container
# reaching the package registry. `open` accepts, from the pod CIDR only, DNS to the host's own
# resolvers and HTTPS to the addresses the registry's hosts resolve to (on the host, now), and
# masquerades exactly that traffic; every other pod packet out of the default interface is still
# dropped by the guard (node-up.sh). `close` empties both chains. Scenarios that need pip open it
# for their own run and close it in their EXIT trap; node-down deletes the table in any case.
#
#   e2e/node-egress.sh open|close
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/node-lib.sh"

# The registry pip uses (its index and the files it links to), as the host resolves them.
REGISTRY_HOSTS=(pypi.org files.pythonhosted.org)

close() {
  nft flush chain inet "$NODE_NFT_TABLE" pod_egress
  nft list chain inet "$NODE_NFT_TABLE" pod_egress_nat >/dev/null 2>&1 &&
    nft flush chain inet "$NODE_NFT_TABLE" pod_egress_nat
  return 0
}

open() {
  local defif resolvers addresses
  defif=$(default_interface)
  resolvers=$(awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ {print $2}' /etc/resolv.conf | paste -sd, -)
  [[ -n "$resolvers" ]] || die "no IPv4 nameserver in /etc/resolv.conf"
  addresses=$(getent ahostsv4 "${REGISTRY_HOSTS[@]}" | awk '{print $1}' | sort -u | paste -sd, -)
  [[ -n "$addresses" ]] || die "the registry hosts (${REGISTRY_HOSTS[*]}) do not resolve here"
  case ",$resolvers,$addresses," in
    *,127.*) die "a resolver or registry address is on loopback ($resolvers; $addresses): pods cannot reach it" ;;
  esac
  close
  nft -f - <<EOT
table inet $NODE_NFT_TABLE {
  chain pod_egress {
    ip daddr { $resolvers } udp dport 53 counter accept
    ip daddr { $resolvers } tcp dport 53 counter accept
    ip daddr { $addresses } tcp dport 443 counter accept
  }
  chain pod_egress_nat {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$defif" ip saddr $POD_CIDR ip daddr { $resolvers } meta l4proto { tcp, udp } th dport 53 masquerade
    oifname "$defif" ip saddr $POD_CIDR ip daddr { $addresses } tcp dport 443 masquerade
  }
}
EOT
  log "pod egress open: DNS to $resolvers, HTTPS to $addresses (${REGISTRY_HOSTS[*]})"
}

case "${1:-}" in
  open) open ;;
  close) close && log "pod egress closed" ;;
  *) die "usage: $0 open|close" ;;
esac
