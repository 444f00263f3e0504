#!/usr/bin/env bash
# registry.k8s.io/pause:3.10.2 for the e2e node, built from Kubernetes' own source in the Go module
# cache (build/pause/linux/pause.c, statically linked). Usage: build-pause.sh OUT-DIR
set -euo pipefail
out=$1
src=$(cd "$(dirname "$0")/../tools/kubernetes" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
tag=$(sed -n 's/^TAG ?= //p' "$(dirname "$src")/../Makefile")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root"
gcc -Os -static -Wall -Werror -DVERSION="v$tag" -o "$tmp/root/pause" "$src"
strip "$tmp/root/pause"
tar -C "$tmp/root" --owner=0 --group=0 -cf "$tmp/rootfs.tar" pause
python3 "$(dirname "$0")/oci.py" "$tmp/rootfs.tar" "registry.k8s.io/pause:$tag" "$out/pause-$tag.tar" \
  '{"Entrypoint": ["/pause"], "User": "65535:65535"}'
