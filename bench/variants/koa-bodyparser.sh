#!/usr/bin/env bash
# The koa-bodyparser variant for `make bench-delivery`: this checkout (HEAD) with
# src/http/json-body.ts's reader replaced by koa-bodyparser as it was wired before commit
# 93496a1 (koa-bodyparser.patch), built into $1 (default .cache/bench/koa-bodyparser) and run as
# BENCH_KOA_ENTRY=$1/dist/src/server.js. It gets a copy of node_modules, so that koa-bodyparser
# is installed there (--no-save) and never into this checkout or its package.json.
set -euo pipefail
dir=${1:-.cache/bench/koa-bodyparser}
root=$(git rev-parse --show-toplevel)
rm -rf "$dir" && mkdir -p "$dir"
git -C "$root" archive HEAD src schemas runtime package.json package-lock.json tsconfig.json tsconfig.build.json |
  tar -x -C "$dir"
cp -a "$root/node_modules" "$dir/node_modules"
patch -s -p1 -d "$dir" <"$root/bench/variants/koa-bodyparser.patch"
(cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error koa-bodyparser@4 @types/koa-bodyparser@4 &&
  node_modules/.bin/tsc -p tsconfig.build.json)
echo "[bench] koa-bodyparser variant built in $dir"
