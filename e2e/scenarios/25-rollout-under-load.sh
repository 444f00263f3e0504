#!/usr/bin/env bash
# A code change under continuous load loses no call: calls go through the Service from the host
# for the whole rollout (two workers, a new connection per call, bounded in count and time), and
# every one is answered 200. Old pods are removed from the Service while they drain, so once the
# lambda says Ready=True again every call that starts after that is answered by the new code.
source "$(dirname "$0")/lib.sh"

name=steady
code() {
  # v2 imports for 3 s, so each new pod stays unready a while and the rollout takes time.
  [[ $1 == 1 ]] || printf 'import time\ntime.sleep(3)\n\n'
  printf 'def handler(event, context):\n    return {"version": %s}\n' "$1"
}

step "create $name (v1, 2 replicas) and let its pods become ready"
create_ready "$name" "$(code 1)" 'replicas: 2'
url=$(service_url "$name") || fail "service/$name has no kube-proxy rule"

step "load: two workers calling $url until told to stop"
start_load "$url" --workers 2 --max-calls 20000 --max-seconds 240
eventually "$SHORT" "the first v1 answers arrive" bash -c "grep -q '\"result\": 1' '$calls'"

step "update the code to v2 under load"
pyl_yaml "$name" "$(code 2)" 'replicas: 2' | apply_yaml
eventually "$SHORT" "Ready turns False while rolling out" equals False condition "pythonlambda/$name" Ready status
step "  Ready=False reason=$(condition "pythonlambda/$name" Ready reason): $(condition "pythonlambda/$name" Ready message)"
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${POD_WAIT}s" >/dev/null || fail "$name did not turn Ready after the rollout"
ready_at=$(date +%s.%N)
step "  Ready=True again: $(condition "pythonlambda/$name" Ready message)"
# A pod that has stopped may stay listed a moment (phase Succeeded) while the kubelet cleans up.
running=$(k get pods -n "$NS" -l "pylambda.dev/lambda=$name" --field-selector=status.phase=Running -o name | wc -l | tr -d ' ')
[[ "$running" == 2 ]] || fail "Ready=True while $running pods run, not the 2 new ones: $(pod_states)"
sleep 5 # keep calling a while after Ready
stop_load

step "judge every call"
report=$(python3 "$SCENARIO_DIR/load_report.py" "$calls" --after "$ready_at" --want 2 2>&1) || fail "$report"
step "  $report"
grep -q '"result": 1' "$calls" || fail "no call was answered by v1"
grep -q '"result": 2' "$calls" || fail "no call was answered by v2"
step "PASS"
