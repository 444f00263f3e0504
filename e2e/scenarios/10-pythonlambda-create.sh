#!/usr/bin/env bash
# Create a PythonLambda (the text-stats sample): its ConfigMap, Deployment and Service appear,
# owned by it; status has observedGeneration and a Ready condition; `kubectl get pyl` shows the
# printer columns; once its pods are ready on the node Ready turns True and
# `kubectl wait --for=condition=Ready` returns. Then the lambda is called at its pod IP and
# through its Service.
source "$(dirname "$0")/lib.sh"

step "apply config/samples/pythonlambda-text-stats.yaml in $NS"
k apply -n "$NS" -f "$ROOT/config/samples/pythonlambda-text-stats.yaml" >/dev/null
name=text-stats
uid=$(jp "pythonlambda/$name" '{.metadata.uid}')

step "the children appear, each owned by the PythonLambda"
eventually "$SHORT" "the Deployment, ConfigMap and Service of $name appear" \
  bash -c "[[ \$($BIN/kubectl get -n $NS deployments,configmaps,services -l pylambda.dev/lambda=$name -o name | wc -l) -ge 3 ]]"
children=$(k get -n "$NS" deployments,configmaps,services -l "pylambda.dev/lambda=$name" -o name)
sed 's/^/  /' <<<"$children"
for kind in deployment configmap service; do
  grep -q "^$kind" <<<"$children" || fail "no $kind labelled pylambda.dev/lambda=$name: $children"
done
for child in $children; do
  expect "$child is controlled by pythonlambda/$name (uid $uid)" equals "$uid" owner_uid "$child"
  expect "$child's owner reference names the PythonLambda" \
    equals "PythonLambda/$name" jp "$child" '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}'
done

step "status: observedGeneration, a Ready condition with a reason and a message, the URL, the code hash"
eventually "$SHORT" "status.observedGeneration of $name equals metadata.generation" \
  equals "$(jp "pythonlambda/$name" '{.metadata.generation}')" jp "pythonlambda/$name" '{.status.observedGeneration}'
# Real pods may already be ready here (a few seconds), so Ready is either; it always has a reason.
[[ -n "$(condition "pythonlambda/$name" Ready reason)" ]] || fail "Ready has no reason"
[[ -n "$(condition "pythonlambda/$name" Ready message)" ]] || fail "Ready has no message"
[[ -n "$(condition "pythonlambda/$name" Ready lastTransitionTime)" ]] || fail "Ready has no lastTransitionTime"
step "  Ready=$(condition "pythonlambda/$name" Ready status) reason=$(condition "pythonlambda/$name" Ready reason): $(condition "pythonlambda/$name" Ready message)"
svc=$(k get -n "$NS" services -l "pylambda.dev/lambda=$name" -o jsonpath='{.items[0].metadata.name}')
expect "status.url names the Service" bash -c "[[ '$(jp "pythonlambda/$name" '{.status.url}')' == http://$svc.$NS.svc.* ]]"
[[ -n "$(jp "pythonlambda/$name" '{.status.codeHash}')" ]] || fail "status.codeHash is empty"

step "kubectl get pyl shows the printer columns"
table=$(k get pyl -n "$NS" -o wide)
printf '%s\n' "$table" | sed 's/^/  /'
header=$(head -n1 <<<"$table")
for column in NAME READY REPLICAS URL AGE REASON RUNTIME; do
  grep -qw "$column" <<<"$header" || fail "kubectl get pyl -o wide has no $column column: $header"
done
row=$(sed -n 2p <<<"$table")
grep -qE "True|False" <<<"$row" || fail "the READY column shows neither True nor False: $row"
grep -q "http://$svc" <<<"$row" || fail "the URL column does not show the URL: $row"

step "the pods run on the node and turn ready: Ready turns True, kubectl wait returns"
deploy=$(k get -n "$NS" deployments -l "pylambda.dev/lambda=$name" -o jsonpath='{.items[0].metadata.name}')
eventually "$SHORT" "the ReplicaSet controller creates the pods of $deploy" \
  equals "$(jp "deployment/$deploy" '{.spec.replicas}')" \
  bash -c "$BIN/kubectl get pods -n $NS -l pylambda.dev/lambda=$name -o name | wc -l | tr -d ' '"
wait_pods_ready "$deploy"
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${SHORT}s" >/dev/null ||
  fail "kubectl wait --for=condition=Ready pyl/$name timed out"
expect "status.readyReplicas counts the ready pods" \
  equals "$(jp "deployment/$deploy" '{.spec.replicas}')" jp "pythonlambda/$name" '{.status.readyReplicas}'
step "  Ready=True reason=$(condition "pythonlambda/$name" Ready reason)"

body='{"text": "to be or not to be\nthat is the question"}'
pod=$(ready_pod "pylambda.dev/lambda=$name")
step "call the lambda at pod/$pod's IP"
out=$(call_pod "$pod" "$body" 2>&1) || fail "calling pod/$pod failed: $out"
step "  response: $out"
check_stats() {
  python3 - "$1" <<'EOF' || fail "unexpected response from the lambda: $1"
import json, sys
r = json.loads(sys.argv[1])
assert r["status"] == 200, r
body = r["body"]
assert body["words"] == 10 and body["lines"] == 2, body
# TOP_WORDS=3 comes from the PythonLambda's env, through the rendered Deployment.
assert body["top"][:2] == [["to", 2], ["be", 2]] and len(body["top"]) == 3, body
EOF
}
check_stats "$out"
step "call it through its Service's ClusterIP ($svc)"
out=$(call_service "$svc" "$body" 2>&1) || fail "calling service/$svc failed: $out"
step "  response: $out"
check_stats "$out"

step "kubectl logs and exec reach the pod through the kubelet"
eventually "$SHORT" "kubectl logs shows the runtime's log lines" \
  bash -c "$BIN/kubectl logs -n $NS pod/$pod -c lambda | grep -q ."
step "  last log line: $(k logs -n "$NS" "pod/$pod" -c lambda | tail -n 1 | cut -c1-200)"
out=$(k exec -n "$NS" "pod/$pod" -c lambda -- ls /opt/pylambda/code 2>&1) || fail "kubectl exec failed: $out"
[[ "$out" == *main.py* ]] || fail "kubectl exec: the mounted code has no main.py: $out"
out=$(k exec -n "$NS" "pod/$pod" -c lambda -- id -u 2>&1) || fail "kubectl exec id failed: $out"
[[ "$out" != 0 ]] || fail "the lambda container runs as root"
step "  exec: /opt/pylambda/code has main.py; the container runs as uid $out"
step "PASS"
