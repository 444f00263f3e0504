#!/usr/bin/env bash
# Update a PythonLambda's code: a new immutable code ConfigMap (named after the new code hash)
# appears beside the old one, the pod template changes to mount it (a new ReplicaSet with another
# pod-template-hash: a rollout), the old pods keep serving from the old ConfigMap until the new
# ones are ready (no downtime), Ready is False while rolling out and True again once the new pods
# are ready; then the old ConfigMap is deleted.
source "$(dirname "$0")/lib.sh"

name=hello
v1='def handler(event, context):
    return {"version": 1}'
# /healthz answers 503 until the import is done, so the new pod stays unready for IMPORT_SECONDS.
IMPORT_SECONDS=20
v2="import time
time.sleep($IMPORT_SECONDS)

def handler(event, context):
    return {\"version\": 2}"

step "create $name (v1) and let its pods become ready"
pyl_yaml "$name" "$v1" | apply_yaml
eventually "$SHORT" "Deployment $name appears" jp "deployment/$name" '{.metadata.uid}'
eventually "$SHORT" "the pods of $name exist" equals 1 \
  bash -c "$BIN/kubectl get pods -n $NS -l pylambda.dev/lambda=$name -o name | wc -l | tr -d ' '"
wait_pods_ready "$name"
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${SHORT}s" >/dev/null || fail "$name never became Ready"

old_code_hash=$(jp "pythonlambda/$name" '{.status.codeHash}')
cm=$(code_configmap "$name")
expect "the one code ConfigMap is named after the code hash: $name-code-${old_code_hash:0:10}" \
  equals "configmap/$name-code-${old_code_hash:0:10}" code_configmaps "$name"
[[ "$cm" == "$name-code-${old_code_hash:0:10}" ]] || fail "the Deployment mounts configmap/$cm, not $name-code-${old_code_hash:0:10}"
expect "configmap/$cm is immutable" equals true jp "configmap/$cm" '{.immutable}'
old_cm_uid=$(jp "configmap/$cm" '{.metadata.uid}')
old_template=$(jp "deployment/$name" '{.spec.template.metadata.annotations}')
old_rs_hash=$(k get rs -n "$NS" -l "pylambda.dev/lambda=$name" -o jsonpath='{.items[0].metadata.labels.pod-template-hash}')
old_generation=$(jp "deployment/$name" '{.metadata.generation}')
step "  v1: configmap/$cm, codeHash ${old_code_hash:0:12}, pod-template-hash $old_rs_hash"

step "update the code to v2"
pyl_yaml "$name" "$v2" | apply_yaml
eventually "$SHORT" "status.codeHash changes" differs "$old_code_hash" jp "pythonlambda/$name" '{.status.codeHash}'
new_code_hash=$(jp "pythonlambda/$name" '{.status.codeHash}')
new_cm=$name-code-${new_code_hash:0:10}
eventually "$SHORT" "a new ConfigMap, $new_cm, holds the v2 code" \
  bash -c "$BIN/kubectl get -n $NS configmap/$new_cm -o jsonpath='{.data.main\.py}' | grep -q 'return {\"version\": 2}'"
expect "configmap/$new_cm is immutable" equals true jp "configmap/$new_cm" '{.immutable}'
eventually "$SHORT" "the Deployment mounts $new_cm" equals "$new_cm" code_configmap "$name"
eventually "$SHORT" "the Deployment's pod template changes" differs "$old_template" jp "deployment/$name" '{.spec.template.metadata.annotations}'
[[ "$(jp "deployment/$name" '{.metadata.generation}')" -gt "$old_generation" ]] || fail "the Deployment's generation did not grow"
eventually "$SHORT" "a second ReplicaSet (a rollout) appears" equals 2 \
  bash -c "$BIN/kubectl get rs -n $NS -l pylambda.dev/lambda=$name -o name | wc -l | tr -d ' '"
new_rs_hash=$(k get rs -n "$NS" -l "pylambda.dev/lambda=$name" -o jsonpath="{.items[?(@.metadata.labels.pod-template-hash!='$old_rs_hash')].metadata.labels.pod-template-hash}")
[[ -n "$new_rs_hash" && "$new_rs_hash" != "$old_rs_hash" ]] || fail "no ReplicaSet with a new pod-template-hash"
step "  v2: pod-template-hash $old_rs_hash -> $new_rs_hash"

step "while the new pod is not ready: the old one still serves, and Ready is False"
eventually "$SHORT" "observedGeneration catches up" \
  equals "$(jp "pythonlambda/$name" '{.metadata.generation}')" jp "pythonlambda/$name" '{.status.observedGeneration}'
eventually "$SHORT" "Ready turns False while rolling out" equals False condition "pythonlambda/$name" Ready status
step "  Ready=False reason=$(condition "pythonlambda/$name" Ready reason): $(condition "pythonlambda/$name" Ready message)"
expect "the old ReplicaSet keeps its ready pod (no downtime)" equals 1 \
  jp "replicaset/$name-$old_rs_hash" '{.status.readyReplicas}'
expect "the Deployment stays available" equals 1 jp "deployment/$name" '{.status.availableReplicas}'
expect "the old pods' template still mounts $cm" equals "$cm" \
  jp "replicaset/$name-$old_rs_hash" '{.spec.template.spec.volumes[?(@.name=="code")].configMap.name}'
out=$(call_service "$name" '{}' 2>&1) || fail "calling service/$name during the rollout failed: $out"
[[ "$out" == *'"status": 200'* && "$out" == *'"version": 1'* ]] ||
  fail "during the rollout the Service must answer from the old pod with v1, got: $out"
step "  the Service answers from the old pod: $out"
sleep 3 # a few more syncs: the old ConfigMap must stay for the old pods as long as they serve
expect "configmap/$cm is still there (the same object)" equals "$old_cm_uid" jp "configmap/$cm" '{.metadata.uid}'
expect "configmap/$cm still holds v1" bash -c "$BIN/kubectl get -n $NS configmap/$cm -o jsonpath='{.data.main\.py}' | grep -q 'version\": 1'"
expect "exactly two code ConfigMaps: the new and the old" equals "$(printf 'configmap/%s\n' "$cm" "$new_cm" | sort)" \
  bash -c "$BIN/kubectl get -n $NS configmaps -l pylambda.dev/lambda=$name,app.kubernetes.io/component=code -o name | sort"

step "the new pod becomes ready: the old ReplicaSet scales down and Ready is True"
eventually "$SHORT" "the new ReplicaSet's pod exists" \
  k get pods -n "$NS" -l "pylambda.dev/lambda=$name,pod-template-hash=$new_rs_hash" -o jsonpath='{.items[0].metadata.name}'
wait_pods_ready "$name"
eventually "$SHORT" "the old ReplicaSet scales to 0" equals 0 jp "replicaset/$name-$old_rs_hash" '{.spec.replicas}'
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${SHORT}s" >/dev/null || fail "$name did not become Ready after the rollout"
step "  Ready=True reason=$(condition "pythonlambda/$name" Ready reason)"
eventually "$SHORT" "the Service answers with v2" \
  bash -c "python3 $SCENARIO_DIR/call.py http://\$($BIN/kubectl get -n $NS service/$name -o jsonpath='{.spec.clusterIP}'):8080/ '{}' | grep -q 'version.*2'"

step "the rollout is done: the old ConfigMap is deleted, the new one stays"
eventually "$SHORT" "configmap/$cm is deleted" absent "configmap/$cm"
expect "only configmap/$new_cm is left" equals "configmap/$new_cm" code_configmaps "$name"
expect "the Deployment still mounts $new_cm" equals "$new_cm" code_configmap "$name"
step "PASS"
