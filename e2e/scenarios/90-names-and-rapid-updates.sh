#!/usr/bin/env bash
# Names at their limits: PythonLambda names of 63 and 253 characters (with dots), two long names
# that share their first 200 characters, and a name that starts with a digit all get children
# with valid, distinct names (a Service name is a DNS-1035 label of at most 63 characters).
# Then rapid updates: ten code versions applied back to back converge on the last one.
source "$(dirname "$0")/lib.sh"

code() { printf 'def handler(event, context):\n    return {"version": %s}' "$1"; }
long() { python3 -c 'import sys; n, tail = int(sys.argv[1]), sys.argv[2]
head = ("segment-of-a-very-long-name." * 20)[: n - len(tail)]
print(head[:-1] + ("x" if head[-1] in ".-" else head[-1]) + tail)' "$@"; }

# owned UID: the ConfigMaps, Deployments and Services controlled by the object with UID.
owned() {
  k get -n "$NS" deployments,configmaps,services -o json | python3 -c '
import json, sys
for o in json.load(sys.stdin)["items"]:
    if any(r.get("uid") == sys.argv[1] for r in o["metadata"].get("ownerReferences", [])):
        print(o["kind"] + "/" + o["metadata"]["name"])' "$1"
}
count_owned() { owned "$1" | wc -l | tr -d ' '; }

names=(
  "$(python3 -c 'print("l" + "x" * 61 + "z")')" # 63 characters
  "$(long 253 .end-a)"
  "$(long 253 .end-b)"
  9lives
)
for name in "${names[@]}"; do
  step "create a PythonLambda named ${name:0:40}... (${#name} characters)"
  pyl_yaml "$name" "$(code 1)" | apply_yaml || fail "the API server refused the name $name"
done

services=()
for name in "${names[@]}"; do
  uid=$(jp "pythonlambda/$name" '{.metadata.uid}')
  eventually "$SHORT" "the 3 children of ${name:0:40}... appear" equals 3 count_owned "$uid"
  eventually "$SHORT" "${name:0:40}... has a Ready condition" condition "pythonlambda/$name" Ready reason
  reason=$(condition "pythonlambda/$name" Ready reason)
  [[ "$reason" != InvalidSpec ]] || fail "${name}: $(condition "pythonlambda/$name" Ready message)"
  svc=$(owned "$uid" | sed -n 's|^Service/||p')
  [[ ${#svc} -le 63 && "$svc" =~ ^[a-z]([-a-z0-9]*[a-z0-9])?$ ]] || fail "Service name '$svc' is not a DNS-1035 label"
  [[ "$(jp "pythonlambda/$name" '{.status.url}')" == "http://$svc.$NS."* ]] || fail "status.url does not name Service $svc"
  step "  $(owned "$uid" | tr '\n' ' ')(Ready reason $reason)"
  services+=("$svc")
done
[[ $(printf '%s\n' "${services[@]}" | sort -u | wc -l) -eq ${#names[@]} ]] ||
  fail "two PythonLambdas got the same Service name: ${services[*]}"

step "rapid updates: ten versions of the code applied back to back"
for v in $(seq 2 11); do pyl_yaml rapid "$(code "$v")" | apply_yaml; done
eventually 90 "the Deployment mounts a code ConfigMap holding the last version" served_code_has rapid 'version": 11}'
eventually "$SHORT" "observedGeneration reaches the last generation" \
  equals "$(jp pythonlambda/rapid '{.metadata.generation}')" jp pythonlambda/rapid '{.status.observedGeneration}'
hash=$(jp pythonlambda/rapid '{.status.codeHash}')
expect "the Deployment's template carries the last code's hash" \
  equals "$hash" jp deployment/rapid '{.spec.template.metadata.annotations.pylambda\.dev/code-hash}'
expect "the Deployment mounts rapid-code-${hash:0:10}" equals "rapid-code-${hash:0:10}" code_configmap rapid
expect "one Deployment and one Service for rapid" equals 2 \
  bash -c "$BIN/kubectl get -n $NS deployments,services -l pylambda.dev/lambda=rapid -o name | wc -l | tr -d ' '"
step "  while the rollout is not done, older code ConfigMaps stay: $(code_configmaps rapid | wc -l | tr -d ' ') code ConfigMaps"

step "the pods become ready: Ready, and only the last code ConfigMap is left"
# Each round marks the pods there are; the Deployment controller then replaces or removes some.
rapid_ready() {
  wait_pods_ready rapid
  equals True condition pythonlambda/rapid Ready status
}
eventually 90 "rapid turns Ready" rapid_ready
eventually "$SHORT" "the older code ConfigMaps are deleted" equals "configmap/rapid-code-${hash:0:10}" code_configmaps rapid
expect "exactly one ConfigMap, Deployment and Service for rapid" equals 3 \
  bash -c "$BIN/kubectl get -n $NS deployments,configmaps,services -l pylambda.dev/lambda=rapid -o name | wc -l | tr -d ' '"
step "PASS"
