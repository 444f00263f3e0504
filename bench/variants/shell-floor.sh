#!/usr/bin/env bash
# The shell-floor variant for `make bench-delivery`: this checkout (HEAD) with every hook
# answering its first answer again to every later request (shell-floor.patch), built into $1
# (default .cache/bench/shell-floor) and run as BENCH_FLOOR_ENTRY=$1/dist/src/server.js. On
# requests that all differ it still reads, bounds, validates, keys, logs and counts each one and
# writes its answer, but renders nothing: the most the service could reach if the hook's own work
# cost nothing. Never a build to run for real.
set -euo pipefail
dir=${1:-.cache/bench/shell-floor}
root=$(git rev-parse --show-toplevel)
rm -rf "$dir" && mkdir -p "$dir"
git -C "$root" archive HEAD src schemas runtime package.json tsconfig.json tsconfig.build.json |
  tar -x -C "$dir"
ln -s "$root/node_modules" "$dir/node_modules"
patch -s -p1 -d "$dir" <"$root/bench/variants/shell-floor.patch"
(cd "$dir" && "$root/node_modules/.bin/tsc" -p tsconfig.build.json)
echo "[bench] shell-floor variant built in $dir"
