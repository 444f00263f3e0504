#!/usr/bin/env bash
# The webhook image, built here without Docker and imported into the node's containerd under the
# name config/manager uses (pylambda-webhook:dev). The Dockerfile's base (node:20-alpine) cannot
# be pulled on this machine, so the image follows the Dockerfile's runtime stage on Debian
# trixie's own Node.js 20 instead: /app holds package.json, the production node_modules
# (npm ci --omit=dev), dist/src and schemas/, all owned by root (the Python runtime has its own
# image, e2e/runtime-image.sh); it runs
# `node dist/src/server.js` as 10001:10001 with NODE_ENV=production and PORT=8080.
#
# The Node.js root file system is built once (mmdebstrap, cached by a hash of its recipe); the
# application is this checkout's, added on every run (so the image is always what is checked out).
#
#   e2e/webhook-image.sh            build and import
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/node-lib.sh"

IMAGE=docker.io/library/pylambda-webhook:dev
IMAGES="$CACHE/images"
mkdir -p "$IMAGES"
SUITE=trixie PACKAGES=nodejs,ca-certificates
base="$IMAGES/webhook-base-$(echo "$SUITE $PACKAGES" | sha256sum | cut -c1-16).tar"
if [[ ! -f "$base" || ! -s "$base" ]]; then
  log "webhook image: building the Node.js base (trixie's nodejs, first run only); log: ${LOGS#"$ROOT"/}/image-webhook-base.log"
  rm -rf "$IMAGES"/webhook-base-*.tar "$base.tmp"
  # --format=tar: the output's name does not end in .tar, and mmdebstrap would otherwise guess
  # a directory from it.
  mmdebstrap --quiet --variant=minbase --format=tar --include="$PACKAGES" \
    --customize-hook='chroot "$1" node --version' \
    "$SUITE" "$base.tmp" http://deb.debian.org/debian >"$LOGS/image-webhook-base.log" 2>&1 ||
    die "building the webhook's base failed (log: $LOGS/image-webhook-base.log)"
  mv "$base.tmp" "$base"
fi

start=$SECONDS
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
app="$tmp/app"
mkdir -p "$app"
(cd "$ROOT" && make --no-print-directory build >"$LOGS/image-webhook-build.log" 2>&1) ||
  die "make build failed (log: $LOGS/image-webhook-build.log)"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$app/"
(cd "$app" && npm ci --omit=dev --no-audit --no-fund --ignore-scripts >>"$LOGS/image-webhook-build.log" 2>&1) ||
  die "npm ci --omit=dev failed (log: $LOGS/image-webhook-build.log)"
rm "$app/package-lock.json"
mkdir -p "$app/dist"
cp -r "$ROOT/dist/src" "$app/dist/src"
cp -r "$ROOT/schemas" "$app/schemas"

cp "$base" "$tmp/rootfs.tar"
python3 - "$tmp/rootfs.tar" "$app" <<'EOF'
import sys, tarfile
rootfs, app = sys.argv[1:3]
def as_root(info):
    # Owned by root and not writable by the service's user, as in the Dockerfile.
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mode &= ~0o022
    return info
with tarfile.open(rootfs, "a") as tar:
    tar.add(app, arcname="app", filter=as_root)
EOF
python3 "$E2E_DIR/images/oci.py" "$tmp/rootfs.tar" "$IMAGE" "$tmp/webhook.tar" \
  '{"Entrypoint": ["node", "dist/src/server.js"], "WorkingDir": "/app", "User": "10001:10001", "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NODE_ENV=production", "PORT=8080"], "ExposedPorts": {"8080/tcp": {}}}'
ctr_ images import --no-unpack=false "$tmp/webhook.tar" >>"$LOGS/image-import.log" 2>&1 ||
  die "ctr images import of the webhook image failed (log: $LOGS/image-import.log)"
log "webhook image: $IMAGE built from this checkout and imported in $((SECONDS - start))s ($(du -h "$tmp/webhook.tar" | cut -f1))"
