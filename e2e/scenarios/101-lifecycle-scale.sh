#!/usr/bin/env bash
# Ready judges the Deployment the controller runs: a pure change of replicas with the current
# code serving never flips Ready (2 -> 1 -> 3 -> 0), never says more replicas serve than the
# Deployment has, and says ScaledToZero only once no pod is left.
source "$(dirname "$0")/lib.sh"

name=scale
code='def handler(event, context):
    return {"ok": True}'

step "create $name with 2 replicas and start its pods"
pyl_yaml "$name" "$code" 'replicas: 2' | apply_yaml
eventually "$SHORT" "Deployment $name mounts a code ConfigMap" code_configmap "$name"
cm=$(code_configmap "$name")
eventually "$SHORT" "two pods mount $cm" equals 2 count_pods_mounting "$cm"
wait_pods_mounting_ready "$cm"
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${SHORT}s" >/dev/null || fail "$name never became Ready"
since=$(jp "pythonlambda/$name" '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')

# Sample Ready (and the pods) twice a second while the replicas change.
samples=$TMP/samples
sample() {
  while :; do
    line=$(jp "pythonlambda/$name" '{.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].reason}|{.status.conditions[?(@.type=="Ready")].lastTransitionTime}|{.status.conditions[?(@.type=="Ready")].message}')
    echo "$line|pods=$(count_pods_mounting "$cm")" >>"$samples"
    sleep 0.5
  done
}
sample &
sampler=$!
# errexit is off in the trap: a kill of a sampler already stopped must not turn a pass into a failure.
trap 'rc=$?; set +e; kill $sampler 2>/dev/null; (exit $rc); cleanup_namespace' EXIT

scale_to() {
  pyl_yaml "$name" "$code" "replicas: $1" | apply_yaml
  eventually "$SHORT" "the Deployment wants $1" equals "$1" jp "deployment/$name" '{.spec.replicas}'
  eventually "$POD_WAIT" "$1 pods mount $cm" equals "$1" count_pods_mounting "$cm"
  (($1 == 0)) || wait_pods_mounting_ready "$cm"
  eventually "$SHORT" "the Deployment has $1 available" equals "$1" bash -c "n=\$($BIN/kubectl get -n $NS deployment/$name -o jsonpath='{.status.availableReplicas}'); echo \${n:-0}"
  sleep 2
}
for replicas in 1 3 0; do
  step "scale to $replicas"
  scale_to "$replicas"
done
eventually "$SHORT" "Ready says ScaledToZero" equals ScaledToZero condition "pythonlambda/$name" Ready reason
sleep 1
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true

step "$(wc -l <"$samples") samples of Ready while scaling"
if grep -v '^True|' "$samples" | grep -q .; then
  fail "Ready left True during a pure scale change: $(grep -v '^True|' "$samples" | head -3)"
fi
if grep -v "^True|[A-Za-z]*|$since|" "$samples" | grep -q .; then
  fail "lastTransitionTime changed without a flip: $(grep -v "|$since|" "$samples" | head -3)"
fi
while IFS='|' read -r _ reason _ message pods; do
  if [[ "$reason" == ScaledToZero && "$pods" != pods=0 ]]; then
    fail "ScaledToZero while a pod still runs ($pods): $message"
  fi
  if [[ "$message" =~ ([0-9]+)\ of\ ([0-9]+)\ replicas?\ serve ]] && ((BASH_REMATCH[1] > BASH_REMATCH[2])); then
    fail "more replicas serve than the Deployment has: $message"
  fi
done <"$samples"
step "  reasons seen: $(cut -d'|' -f2 "$samples" | sort | uniq -c | tr '\n' ' ')"
step "PASS"
