#!/usr/bin/env bash
# A scale-down under load loses no in-flight call: each call takes a second in the handler, four
# workers keep calls in flight on every pod, and the lambda goes from 3 replicas to 1. The pods
# scaled away get SIGTERM with calls still running; the runtime keeps serving through its drain
# period and finishes them, so every call is answered 200. Ready stays True (the current code
# serves throughout) and the lambda ends with one pod.
source "$(dirname "$0")/lib.sh"

name=drain
code='import time

def handler(event, context):
    time.sleep(1)
    return {"version": 1}'

step "create $name (3 replicas, a handler that takes 1 s) and let its pods become ready"
create_ready "$name" "$code" 'replicas: 3'
url=$(service_url "$name") || fail "service/$name has no kube-proxy rule"

step "load: four workers calling $url"
start_load "$url" --workers 4 --max-calls 2000 --max-seconds 180
sleep 4 # calls in flight on every pod

step "scale to 1 while calls are in flight"
pyl_yaml "$name" "$code" 'replicas: 1' | apply_yaml
eventually "$SHORT" "the Deployment wants 1" equals 1 jp "deployment/$name" '{.spec.replicas}'
eventually "$POD_WAIT" "only one pod is left (the others drained and stopped)" equals 1 \
  bash -c "$BIN/kubectl get pods -n $NS -l pylambda.dev/lambda=$name -o name | wc -l | tr -d ' '"
expect "Ready stayed True" equals True condition "pythonlambda/$name" Ready status
sleep 3
stop_load

step "judge every call"
report=$(python3 "$SCENARIO_DIR/load_report.py" "$calls" 2>&1) || fail "$report"
step "  $report"
step "PASS"
