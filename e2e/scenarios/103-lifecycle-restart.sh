#!/usr/bin/env bash
# kubectl rollout restart replaces every pod by one of the same code (a new ReplicaSet that differs
# only by the kubectl.kubernetes.io/restartedAt pod annotation, which Metacontroller's apply
# keeps). Ready is judged on the ReplicaSets: it never leaves True, its time never changes, it
# never speaks of older code, and it says Restarting while the pods are replaced.
source "$(dirname "$0")/lib.sh"

name=restart
code='def handler(event, context):
    return {"ok": True}'

step "create $name with 2 replicas and start its pods"
create_ready "$name" "$code" 'replicas: 2'
since=$(jp "pythonlambda/$name" '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')
old_pods=$(k get pods -n "$NS" -l "pylambda.dev/lambda=$name" -o name | sort)

# Sample Ready twice a second while the pods are replaced.
samples=$TMP/samples
sample() {
  while :; do
    jp "pythonlambda/$name" '{.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].reason}|{.status.conditions[?(@.type=="Ready")].lastTransitionTime}|{.status.conditions[?(@.type=="Ready")].message}' >>"$samples"
    echo >>"$samples"
    sleep 0.5
  done
}
sample &
sampler=$!
# errexit is off in the trap: a kill of a sampler already stopped must not turn a pass into a failure.
trap 'rc=$?; set +e; kill $sampler 2>/dev/null; (exit $rc); cleanup_namespace' EXIT

step "kubectl rollout restart deployment/$name"
k rollout restart -n "$NS" "deployment/$name" >/dev/null
eventually "$SHORT" "the restartedAt annotation stays on the pod template (Metacontroller keeps it)" \
  differs '' jp "deployment/$name" '{.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}'
wait_pods_ready "$name"
eventually "$SHORT" "Ready says Available again" equals Available condition "pythonlambda/$name" Ready reason
# A replaced pod drains its calls before it is gone (it still shows phase Running meanwhile).
old_pods_gone() {
  local pod
  for pod in $old_pods; do absent "$pod" || { echo "$pod still exists"; return 1; }; done
}
eventually "$SHORT" "every pod from before the restart is gone" old_pods_gone
expect "the restartedAt annotation is still on the pod template" differs '' \
  jp "deployment/$name" '{.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}'
sleep 1
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true

step "$(grep -c . "$samples") samples of Ready during the restart"
if grep . "$samples" | grep -v '^True|' | grep -q .; then
  fail "Ready left True during a restart: $(grep . "$samples" | grep -v '^True|' | head -3)"
fi
if grep . "$samples" | grep -v "^True|[A-Za-z]*|$since|" | grep -q .; then
  fail "lastTransitionTime changed without a flip: $(grep . "$samples" | grep -v "|$since|" | head -3)"
fi
if grep -q 'older code' "$samples"; then
  fail "Ready spoke of older code during a restart: $(grep 'older code' "$samples" | head -3)"
fi
# The pods take seconds to start on the node, so samples twice a second see the restart itself.
grep -q '^True|Restarting|' "$samples" || fail "Ready never said Restarting while the pods were replaced"
step "  reasons seen: $(grep . "$samples" | cut -d'|' -f2 | sort | uniq -c | tr '\n' ' ')"
step "PASS"
