"""Write an OCI image archive (an image layout as one tar) from a root filesystem tar.

Usage: oci.py ROOTFS.tar IMAGE-NAME OUT.tar [CONFIG-JSON [LAYER.tar ...]]
Uncompressed layers, so that `ctr images import` needs no decompression and no registry.
CONFIG-JSON is the image's runtime config (Env, Cmd, User, WorkingDir), merged into a default.
Each LAYER.tar goes on top of the root filesystem: an image built on another one's layer shares
it in containerd's content store, as images built FROM a common base do.
"""

import hashlib
import io
import json
import sys
import tarfile


def digest_of_file(path):
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return "sha256:" + h.hexdigest(), size


def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), len(data)


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def main():
    rootfs, name, out = sys.argv[1:4]
    runtime = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    layer_files = [rootfs, *sys.argv[5:]]
    layers = [(path, *digest_of_file(path)) for path in layer_files]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], **runtime},
        "rootfs": {"type": "layers", "diff_ids": [digest for _, digest, _ in layers]},
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_digest, config_size = blob(config_bytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": size}
            for _, digest, size in layers
        ],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    manifest_digest, manifest_size = blob(manifest_bytes)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": manifest_size,
                "platform": {"architecture": "amd64", "os": "linux"},
                "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name},
            }
        ],
    }
    with tarfile.open(out, "w") as tar:
        add_bytes(tar, "oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        add_bytes(tar, "index.json", json.dumps(index, sort_keys=True).encode())
        add_bytes(tar, "blobs/sha256/" + config_digest[7:], config_bytes)
        add_bytes(tar, "blobs/sha256/" + manifest_digest[7:], manifest_bytes)
        for path, digest, _ in layers:
            tar.add(path, arcname="blobs/sha256/" + digest[7:])


if __name__ == "__main__":
    main()
