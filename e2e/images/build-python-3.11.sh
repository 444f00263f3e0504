#!/usr/bin/env bash
# python:3.11-slim for the e2e node: Debian bookworm's Python 3.11. Usage: build-python-3.11.sh OUT-DIR
# Inputs (for the cache key): this file, python-image.sh, oci.py, the host's CA certificates.
set -euo pipefail
source "$(dirname "$0")/python-image.sh"
python_image bookworm 3.11 "$1"
