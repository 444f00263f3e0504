#!/usr/bin/env bash
# Build (when its inputs changed) and import into the node's containerd every image that a builder
# e2e/images/build-*.sh makes. A builder gets an empty directory and writes one OCI archive into it.
# Its cache key is a hash of every file in e2e/images (builders share helpers) and the host's CA
# certificates; archives are kept in .cache/e2e/images/<builder>-<key>/. Add an image by adding a builder.
set -euo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=e2e/node-lib.sh
source "$E2E_DIR/node-lib.sh"

IMAGES="$CACHE/images"
mkdir -p "$IMAGES"
inputs=$( (cat "$E2E_DIR"/images/*; cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true) | sha256sum | cut -c1-16)
for builder in "$E2E_DIR"/images/build-*.sh; do
  name=$(basename "$builder" .sh)
  name=${name#build-}
  dir="$IMAGES/$name-$inputs"
  if ! compgen -G "$dir/*.tar" >/dev/null; then
    log "image $name: building (inputs changed or first run); log: ${LOGS#"$ROOT"/}/image-$name.log"
    start=$SECONDS
    rm -rf "$IMAGES/$name"-* && mkdir -p "$dir.tmp"
    "$builder" "$dir.tmp" >"$LOGS/image-$name.log" 2>&1 || {
      tail -n 30 "$LOGS/image-$name.log" >&2
      rm -rf "$dir.tmp"
      die "building image $name failed (log: $LOGS/image-$name.log)"
    }
    mv "$dir.tmp" "$dir"
    log "image $name: built in $((SECONDS - start))s"
  fi
  for archive in "$dir"/*.tar; do
    ctr_ images import --no-unpack=false "$archive" >>"$LOGS/image-import.log" 2>&1 ||
      die "ctr images import $archive failed (log: $LOGS/image-import.log)"
  done
done
log "images on the node: $(ctr_ images ls -q | grep -v '^sha256:' | paste -sd' ')"
