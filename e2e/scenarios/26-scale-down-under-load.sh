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
pyl_yaml "$name" "$code" 'replicas: 3' | apply_yaml
eventually "$SHORT" "Deployment $name appears" jp "deployment/$name" '{.metadata.uid}'
wait_pods_ready "$name"
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${SHORT}s" >/dev/null || fail "$name never became Ready"
url=$(service_url "$name") || fail "service/$name has no kube-proxy rule"

calls=$TMP/calls stop=$TMP/stop
step "load: four workers calling $url"
python3 "$SCENARIO_DIR/load.py" "$url" "$calls" "$stop" --workers 4 --max-calls 2000 --max-seconds 180 &
loader=$!
trap 'rc=$?; set +e; touch "$stop"; wait $loader 2>/dev/null; (exit $rc); cleanup_namespace' EXIT
sleep 4 # calls in flight on every pod

step "scale to 1 while calls are in flight"
pyl_yaml "$name" "$code" 'replicas: 1' | apply_yaml
eventually "$SHORT" "the Deployment wants 1" equals 1 jp "deployment/$name" '{.spec.replicas}'
eventually "$POD_WAIT" "only one pod is left (the others drained and stopped)" equals 1 \
  bash -c "$BIN/kubectl get pods -n $NS -l pylambda.dev/lambda=$name -o name | wc -l | tr -d ' '"
expect "Ready stayed True" equals True condition "pythonlambda/$name" Ready status
sleep 3
touch "$stop"
wait "$loader" || fail "the load generator failed"

step "judge every call"
report=$(python3 "$SCENARIO_DIR/load_report.py" "$calls" 2>&1) || fail "$report"
step "  $report"
step "PASS"
