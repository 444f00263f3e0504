#!/usr/bin/env bash
# The "before" build for `make bench-delivery`: the tree at git ref $1 (default main), built into
# $2 (default .cache/bench/before), so that it renders its own children and is run beside ours
# as BENCH_BEFORE_ENTRY=$2/dist/src/server.js. The whole tree, so that its samples and
# controllers shape its requests too. It borrows this checkout's node_modules (a symlink): right
# while its dependencies are a subset of ours, as for main before the runtime image.
set -euo pipefail
ref=${1:-main}
dir=${2:-.cache/bench/before}
root=$(git rev-parse --show-toplevel)
rm -rf "$dir" && mkdir -p "$dir"
git -C "$root" archive "$ref" | tar -x -C "$dir"
ln -s "$root/node_modules" "$dir/node_modules"
(cd "$dir" && "$root/node_modules/.bin/tsc" -p tsconfig.build.json)
echo "[bench] before: $ref ($(git -C "$root" rev-parse --short "$ref")) built in $dir"
