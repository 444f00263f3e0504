#!/usr/bin/env bash
# The serving code is never deleted: v1 serves on two pods; four pushes follow whose code never
# turns ready (an import error). The v1 ConfigMap must stay the whole time, status must say v1
# serves (servedCodeHash) while v5 is wanted (codeHash), and a v1 pod deleted (an eviction) is
# recreated by its ReplicaSet and starts, because the ConfigMap it mounts is still there.
source "$(dirname "$0")/lib.sh"

name=pushes
good='def handler(event, context):
    return {"version": 1}'

step "create $name (v1, 2 replicas) and start its pods"
pyl_yaml "$name" "$good" 'replicas: 2' | apply_yaml
eventually "$SHORT" "Deployment $name mounts a code ConfigMap" code_configmap "$name"
v1_cm=$(code_configmap "$name")
eventually "$SHORT" "two pods mount $v1_cm" equals 2 count_pods_mounting "$v1_cm"
wait_pods_mounting_ready "$v1_cm"
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${SHORT}s" >/dev/null || fail "$name never became Ready"
v1_hash=$(jp "pythonlambda/$name" '{.status.codeHash}')
eventually "$SHORT" "status.servedCodeHash is v1's" equals "$v1_hash" jp "pythonlambda/$name" '{.status.servedCodeHash}'
[[ "$v1_cm" == "$name-code-${v1_hash:0:10}" ]] || fail "v1 mounts $v1_cm, not the ConfigMap of its hash"

wanted=$v1_hash
for n in 2 3 4 5; do
  step "push v$n, whose handler fails to import (its pods never turn ready)"
  pyl_yaml "$name" "import module_that_is_not_there_v$n

def handler(event, context):
    return {\"version\": $n}" 'replicas: 2' | apply_yaml
  eventually "$SHORT" "status.codeHash moves to v$n" differs "$wanted" jp "pythonlambda/$name" '{.status.codeHash}'
  wanted=$(jp "pythonlambda/$name" '{.status.codeHash}')
  eventually "$SHORT" "the Deployment mounts v$n's ConfigMap" equals "$name-code-${wanted:0:10}" code_configmap "$name"
  sleep 2 # a few syncs with v$n observed
  expect "configmap/$v1_cm (v1, serving) still exists after v$n" present "configmap/$v1_cm"
  expect "two v1 pods still serve" equals 2 count_pods_mounting "$v1_cm" ready
done

step "after four failed pushes: v1 serves, v5 is wanted, and status says both"
expect "servedCodeHash is still v1's" equals "$v1_hash" jp "pythonlambda/$name" '{.status.servedCodeHash}'
expect "codeHash is v5's" equals "$wanted" jp "pythonlambda/$name" '{.status.codeHash}'
expect "Ready is False" equals False condition "pythonlambda/$name" Ready status
step "  Ready=False reason=$(condition "pythonlambda/$name" Ready reason): $(condition "pythonlambda/$name" Ready message)"
count=$(code_configmaps "$name" | wc -l | tr -d ' ')
((count <= 6)) || fail "$count code ConfigMaps: failed pushes pile up"
step "  $count code ConfigMaps: $(code_configmaps "$name" | tr '\n' ' ')"

step "a v1 pod is evicted: its ReplicaSet recreates it, and it starts (its ConfigMap is there)"
victim=$(pods_mounting "$v1_cm" | awk '{print $1}')
k delete -n "$NS" "pod/$victim" --wait=false >/dev/null
eventually "$SHORT" "pod/$victim is gone" absent "pod/$victim"
eventually "$SHORT" "the v1 ReplicaSet recreates a pod: two pods mount $v1_cm again" equals 2 count_pods_mounting "$v1_cm"
wait_pods_mounting_ready "$v1_cm"
eventually "$SHORT" "both v1 pods serve again" equals 2 count_pods_mounting "$v1_cm" ready
expect "configmap/$v1_cm still exists" present "configmap/$v1_cm"

step "v6 is good: once it rolls out, v1's ConfigMap goes"
pyl_yaml "$name" 'def handler(event, context):
    return {"version": 6}' 'replicas: 2' | apply_yaml
eventually "$SHORT" "status.codeHash moves to v6" differs "$wanted" jp "pythonlambda/$name" '{.status.codeHash}'
v6_hash=$(jp "pythonlambda/$name" '{.status.codeHash}')
v6_cm=$name-code-${v6_hash:0:10}
eventually "$SHORT" "the Deployment mounts $v6_cm" equals "$v6_cm" code_configmap "$name"
# The rollout surges one v6 pod at a time: start each as it comes.
for _ in $(seq 1 15); do
  wait_pods_mounting_ready "$v6_cm"
  [[ "$(condition "pythonlambda/$name" Ready status)" == True ]] && break
  sleep 2
done
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${SHORT}s" >/dev/null || fail "v6 never became Ready"
eventually "$SHORT" "servedCodeHash is v6's" equals "$v6_hash" jp "pythonlambda/$name" '{.status.servedCodeHash}'
eventually "$SHORT" "configmap/$v1_cm is deleted once nothing mounts it" absent "configmap/$v1_cm"
step "PASS"
