#!/usr/bin/env bash
# An update that the CRD accepts but the hook cannot serve (more code than the webhook's limit for
# this apply strategy): the children stay exactly as they were, and status says why.
# Then the largest code the limit allows is served: the limit's number holds on a real API server
# with the apply strategy in use.
source "$(dirname "$0")/lib.sh"

name=sized
code='def handler(event, context):
    return "small"'

step "create $name and wait for its children"
pyl_yaml "$name" "$code" | apply_yaml
eventually "$SHORT" "Deployment $name appears" jp "deployment/$name" '{.metadata.uid}'
eventually "$SHORT" "observedGeneration 1" equals 1 jp "pythonlambda/$name" '{.status.observedGeneration}'
# What must not change: each child's uid, the Deployment's spec (generation and pod template),
# the ConfigMap's content, the Service's spec. (Status and managedFields may.)
children_state() {
  k get -n "$NS" deployments,configmaps,services -l "pylambda.dev/lambda=$name" -o json | python3 -c '
import hashlib, json, sys
for o in json.load(sys.stdin)["items"]:
    kind, meta = o["kind"], o["metadata"]
    content = {"Deployment": lambda: [meta["generation"], o["spec"]], "ConfigMap": lambda: o.get("data"),
               "Service": lambda: o["spec"]}[kind]()
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]
    print(kind + "/" + meta["name"], meta["uid"], digest)'
}
before=$(children_state)
sed 's/^/  /' <<<"$before"
[[ $(wc -l <<<"$before") -eq 3 ]] || fail "expected 3 children, got: $before"

# 1000 KiB of code: under the CRD's 1 MiB but over any limit the webhook may set (192 KiB for
# dynamic-apply, 960 KiB for server-side apply).
big_code() {
  python3 -c 'import sys
n = int(sys.argv[1])
head = "def handler(event, context):\n    return \"big\"\n"
print(head + "#" * (n - len(head) - 1))' "$1"
}
step "update it with 1000 KiB of code (accepted by the CRD)"
pyl_yaml "$name" "$(big_code $((1000 * 1024)))" | apply_yaml ||
  fail "the API server refused 1000 KiB of code; the CRD allows 1 MiB"
generation=$(jp "pythonlambda/$name" '{.metadata.generation}')
eventually "$SHORT" "observedGeneration reaches $generation" equals "$generation" jp "pythonlambda/$name" '{.status.observedGeneration}'
eventually "$SHORT" "Ready=False with reason CodeTooLarge" equals "False CodeTooLarge" \
  bash -c "$BIN/kubectl get -n $NS pyl/$name -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status} {.status.conditions[?(@.type==\"Ready\")].reason}'"
message=$(condition "pythonlambda/$name" Ready message)
step "  Ready=False CodeTooLarge: $message"
grep -q "$((1000 * 1024 + 0))\|bytes" <<<"$message" || fail "the message does not name the size: $message"
grep -qi "limit" <<<"$message" || fail "the message does not name the limit: $message"
grep -q "server-side-apply\|PYLAMBDA_MAX_CODE_BYTES" <<<"$message" || fail "the message does not say how to raise the limit: $message"

step "the children were not touched"
sleep 3
after=$(children_state)
[[ "$after" == "$before" ]] || fail "children changed after an invalid update:
before:
$before
after:
$after"
grep -q small <<<"$(jp "configmap/$name-code" '{.data.main\.py}')" || fail "the ConfigMap lost the running code"

limit=$(sed -n 's/.*limit of \([0-9][0-9]*\) bytes.*/\1/p' <<<"$message")
if [[ -z "$limit" ]]; then
  step "the message names no 'limit of N bytes': skipping the check at the limit"
else
  step "code of exactly the limit ($limit bytes, --apply-strategy=$APPLY_STRATEGY) is served"
  pyl_yaml "$name" "$(big_code "$limit")" | apply_yaml
  generation=$(jp "pythonlambda/$name" '{.metadata.generation}')
  eventually "$SHORT" "observedGeneration reaches $generation" equals "$generation" jp "pythonlambda/$name" '{.status.observedGeneration}'
  eventually 90 "the ConfigMap holds the $limit bytes of code" \
    bash -c "[[ \$($BIN/kubectl get -n $NS configmap/$name-code -o jsonpath='{.data.main\.py}' | wc -c) -ge $limit ]]"
  reason=$(condition "pythonlambda/$name" Ready reason)
  [[ "$reason" != CodeTooLarge ]] || fail "code of exactly the limit is refused"
  step "  served; Ready reason is now $reason"
  [[ "$(children_state | grep '^Service/' | cut -d' ' -f2)" == "$(grep '^Service/' <<<"$before" | cut -d' ' -f2)" ]] ||
    fail "the Service was replaced"
fi
step "PASS"
