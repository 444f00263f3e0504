#!/usr/bin/env bash
# python:3.13-slim for the e2e node: Debian trixie's Python 3.13. Usage: build-python-3.13.sh OUT-DIR
# Inputs (for the cache key): this file, python-image.sh, oci.py, the host's CA certificates.
set -euo pipefail
source "$(dirname "$0")/python-image.sh"
python_image trixie 3.13 "$1"
