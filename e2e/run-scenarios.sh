#!/usr/bin/env bash
# Run the scenarios in e2e/scenarios against the running e2e cluster (make cluster-up), each in a
# namespace of its own with a time limit, and print 'N passed, N failed'. A skipped scenario fails
# the run unless E2E_ALLOW_SKIP=1.
# Usage: e2e/run-scenarios.sh [PATTERN...]   (a scenario runs when its file name contains a PATTERN)
# Env: E2E_SCENARIO_TIMEOUT=300 (seconds per scenario)
set -euo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "$0")/lib.sh"

[[ -f "$RUN/ports.env" ]] || die "no e2e cluster is running (make cluster-up)"
limit=${E2E_SCENARIO_TIMEOUT:-300}
# summarize_failure NAME RC: the scenario's FAIL line (or its timeout), its last steps and the
# newest events of its namespace from the failure dump: what a reader needs first, in few lines.
summarize_failure() {
  local log=$LOGS/scenario-$1.log
  echo "== $1 (exit $2; whole log: ${log#"$ROOT"/})"
  (($2 != 124)) || echo "timed out after ${limit}s"
  grep -v 'FAIL:' "$log" | grep -E '^\[' | tail -n 3 | cut -c1-300 || true
  grep 'FAIL:' "$log" | cut -c1-1500 || true
  sed -n '/^---- events/,/^---- metacontroller.log/p' "$log" | grep -v '^----' | tail -n 6 | cut -c1-300 || true
}
passed=0 failed=0 skipped=0 failures=()
# Why each failed scenario failed, a few lines each: e2e/run.sh prints this file again after the
# cluster is down, so the reason is among the last lines of a CI log, not hundreds of lines above.
summary=$LOGS/e2e-failures.txt
rm -f "$summary"
for scenario in "$E2E_DIR"/scenarios/[0-9]*.sh; do
  name=$(basename "$scenario" .sh)
  if (($#)); then
    match=0
    for pattern in "$@"; do [[ "$name" == *"$pattern"* ]] && match=1; done
    ((match)) || continue
  fi
  log "scenario $name"
  start_time=$SECONDS
  rc=0
  timeout --kill-after=10 "$limit" bash "$scenario" 2>&1 | tee "$LOGS/scenario-$name.log" || rc=$?
  if ((rc == 0)); then
    passed=$((passed + 1))
    log "scenario $name passed in $((SECONDS - start_time))s"
  elif ((rc == 77)); then
    skipped=$((skipped + 1))
    log "scenario $name skipped"
  else
    ((rc != 124)) || log "scenario $name timed out after ${limit}s"
    failed=$((failed + 1))
    failures+=("$name")
    log "scenario $name FAILED after $((SECONDS - start_time))s (log: ${LOGS#"$ROOT"/}/scenario-$name.log)"
    summarize_failure "$name" "$rc" >>"$summary"
  fi
done
((passed + failed + skipped)) || die "no scenario matched: $*"
((failed == 0)) || log "failed: ${failures[*]}"
echo "e2e: $passed passed, $failed failed, $skipped skipped"
((failed == 0)) || exit 1
# A skipped scenario proved nothing: it fails the run unless E2E_ALLOW_SKIP=1 says that is expected.
if ((skipped)) && [[ "${E2E_ALLOW_SKIP:-}" != 1 ]]; then
  die "$skipped scenario(s) skipped (set E2E_ALLOW_SKIP=1 to accept that)"
fi
