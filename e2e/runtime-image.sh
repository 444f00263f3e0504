#!/usr/bin/env bash
# The runtime image, built here without Docker from the same sources as runtime/Dockerfile, and
# imported into the node's containerd under the name the webhook renders
# (pylambda-runtime:<version>, PYLAMBDA_RUNTIME_IMAGE's default). As the Dockerfile does, it puts
# the runtime package at /pylambda/pylambda_runtime on top of the python:3.13-slim image: here its
# very layer (from e2e/images), so containerd stores the base once and this image adds only the
# package. Rebuilt from the checkout on every run: the image is always what is checked out.
#
#   e2e/runtime-image.sh [VERSION]   build and import (default: this release's version). Another
#                                    VERSION builds the package as that release would carry it
#                                    (its __version__ set to VERSION), to play a newer release.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/node-lib.sh"

tag=${1:-$(node -p "require('$ROOT/package.json').version")}
IMAGE=docker.io/library/pylambda-runtime:$tag
base=$(compgen -G "$CACHE/images/python-3.13-*/python-3.13-slim.tar" | head -n1) ||
  die "the python:3.13-slim image is not built yet (e2e/images/import.sh runs first)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$base" "$ROOT/runtime/pylambda_runtime" "$tmp" "$tag" <<'PY'
import io, json, os, re, sys, tarfile
base, package, out, version = sys.argv[1:5]
# The base image's only layer, as it is stored in its archive (oci.py writes one).
with tarfile.open(base) as archive:
    read = lambda name: archive.extractfile(name).read()
    index = json.loads(read("index.json"))
    manifest = json.loads(read("blobs/sha256/" + index["manifests"][0]["digest"][7:]))
    [layer] = manifest["layers"]
    with open(os.path.join(out, "base.tar"), "wb") as f:
        f.write(read("blobs/sha256/" + layer["digest"][7:]))
# The package layer: root-owned, world-readable, fixed times, sorted, so its digest depends on
# the package's content only.
def entry(name, mode, size=0):
    info = tarfile.TarInfo(name)
    info.mode, info.size, info.mtime = mode, size, 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info
with tarfile.open(os.path.join(out, "runtime.tar"), "w", format=tarfile.PAX_FORMAT) as tar:
    for directory in ("pylambda", "pylambda/pylambda_runtime"):
        info = entry(directory, 0o755)
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    for name in sorted(os.listdir(package)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(package, name), "rb") as source:
            data = source.read()
        if name == "__init__.py":
            data, count = re.subn(rb'^__version__ = "[^"]*"', f'__version__ = "{version}"'.encode(), data, flags=re.M)
            assert count == 1, "no __version__ line in __init__.py"
        tar.addfile(entry(f"pylambda/pylambda_runtime/{name}", 0o644, len(data)), io.BytesIO(data))
PY
python3 "$E2E_DIR/images/oci.py" "$tmp/base.tar" "$IMAGE" "$tmp/runtime-image.tar" \
  '{"User": "65532:65532", "Cmd": ["python", "-P", "-m", "pylambda_runtime", "--version"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH=/pylambda"]}' \
  "$tmp/runtime.tar"
ctr_ images import --no-unpack=false "$tmp/runtime-image.tar" >>"$LOGS/image-import.log" 2>&1 ||
  die "ctr images import of the runtime image failed (log: $LOGS/image-import.log)"
log "runtime image: $IMAGE built from this checkout and imported (package layer $(du -k "$tmp/runtime.tar" | cut -f1) KiB on the shared python:3.13-slim layer)"
