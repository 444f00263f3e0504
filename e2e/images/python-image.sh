# Shared by the Python image builders (sourced): python_image SUITE VERSION OUT-DIR.
# Debian's own Python from the machine's apt sources (mmdebstrap, no registry), with pip,
# `python` on the PATH, and the CA certificates this host trusts (the package registry's TLS
# may be signed by a machine-local CA).
# shellcheck shell=bash
python_image() {
  local suite=$1 version=$2 out=$3 tmp
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  mmdebstrap --quiet --variant=minbase --include=python3,python3-pip,python-is-python3,ca-certificates \
    --customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"' \
    --customize-hook='for c in /usr/local/share/ca-certificates/*.crt; do [ -e "$c" ] && cp "$c" "$1/usr/local/share/ca-certificates/"; done; true' \
    --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
    --customize-hook='chroot "$1" python3 --version' \
    "$suite" "$tmp/rootfs.tar" http://deb.debian.org/debian
  python3 "$(dirname "${BASH_SOURCE[0]}")/oci.py" "$tmp/rootfs.tar" "docker.io/library/python:$version-slim" \
    "$out/python-$version-slim.tar" '{"Cmd": ["python3"]}'
}
