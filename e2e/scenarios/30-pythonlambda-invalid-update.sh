#!/usr/bin/env bash
# An update that the CRD accepts but the hook cannot serve (more code than the webhook's limit for
# this apply strategy): the children stay exactly as they were, and status says why.
# Then code exactly at the limit is served and a byte more is refused: the limit counts the code
# ConfigMap's data as stored (JSON as Go writes it, '<', '>' and '&' six bytes each, the user's
# files only), and under dynamic-apply a ConfigMap at the limit really fits the API server's
# 256 KiB annotation budget.
source "$(dirname "$0")/lib.sh"
# code_size.py measures as the webhook does for this strategy (JSON, or keys and values under SSA).
export APPLY_STRATEGY

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

# The runtime file the webhook serves, from the running ConfigMap: part of what the limit counts.
running_cm=$(code_configmap "$name")
k get -n "$NS" "configmap/$running_cm" -o json >"$TMP/running-configmap.json"

# 1,045,000 characters of code: under the CRD's 1 MiB (1048576) but over any limit the webhook may
# set (250000 bytes of JSON for dynamic-apply, 1040000 bytes of keys and values for server-side
# apply; the ConfigMap holds only the code, so the code alone must be over them).
big_bytes=$(python3 "$SCENARIO_DIR/code_size.py" lambda "$name" "$TMP/running-configmap.json" --chars 1045000 "$TMP/big.json")
step "update it with 1,045,000 characters of code (accepted by the CRD; $big_bytes bytes of ConfigMap JSON)"
apply_yaml <"$TMP/big.json" || fail "the API server refused 1,045,000 characters of code; the CRD allows 1 MiB"
generation=$(jp "pythonlambda/$name" '{.metadata.generation}')
eventually "$SHORT" "observedGeneration reaches $generation" equals "$generation" jp "pythonlambda/$name" '{.status.observedGeneration}'
eventually "$SHORT" "Ready=False with reason CodeTooLarge" equals "False CodeTooLarge" \
  bash -c "$BIN/kubectl get -n $NS pyl/$name -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status} {.status.conditions[?(@.type==\"Ready\")].reason}'"
message=$(condition "pythonlambda/$name" Ready message)
step "  Ready=False CodeTooLarge: $message"
grep -q "would hold $big_bytes bytes" <<<"$message" || fail "the message does not name the stored size, $big_bytes bytes: $message"
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
grep -q small <<<"$(served_code "$name")" || fail "the ConfigMap lost the running code"

limit=$(sed -n 's/.*limit of \([0-9][0-9]*\) .*/\1/p' <<<"$message")
[[ -n "$limit" ]] || fail "the message names no 'limit of N': $message"
step "code whose ConfigMap holds exactly the limit ($limit bytes as the limit counts them, --apply-strategy=$APPLY_STRATEGY) is served"
python3 "$SCENARIO_DIR/code_size.py" lambda "$name" "$TMP/running-configmap.json" --stored "$limit" "$TMP/at-limit.json" >/dev/null
apply_yaml <"$TMP/at-limit.json"
generation=$(jp "pythonlambda/$name" '{.metadata.generation}')
eventually "$SHORT" "observedGeneration reaches $generation" equals "$generation" jp "pythonlambda/$name" '{.status.observedGeneration}'
reason=$(condition "pythonlambda/$name" Ready reason)
[[ "$reason" != CodeTooLarge ]] || fail "code of exactly the limit is refused: $(condition "pythonlambda/$name" Ready message)"
eventually 90 "the Deployment mounts a new code ConfigMap" differs "$running_cm" code_configmap "$name"
at_limit_cm=$(code_configmap "$name")
# Created by the API server (with the strategy in use): it exists and holds every byte.
eventually 90 "configmap/$at_limit_cm exists" jp "configmap/$at_limit_cm" '{.metadata.uid}'
k get -n "$NS" "configmap/$at_limit_cm" -o json >"$TMP/at-limit-configmap.json"
expect "configmap/$at_limit_cm holds exactly $limit bytes as the limit counts them" \
  equals "$limit" python3 "$SCENARIO_DIR/code_size.py" measure "$TMP/at-limit-configmap.json"
annotations=$(python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))["metadata"].get("annotations") or {}
print(sum(len(k.encode()) + len(v.encode()) for k, v in a.items()))' "$TMP/at-limit-configmap.json")
step "  served from configmap/$at_limit_cm; its annotations hold $annotations of the API server's 262144 bytes; Ready reason is now $reason"
if [[ $APPLY_STRATEGY == dynamic-apply ]]; then
  ((annotations > limit)) || fail "dynamic-apply should keep the ConfigMap in an annotation; annotations hold only $annotations bytes"
fi
[[ "$(children_state | grep '^Service/' | cut -d' ' -f2)" == "$(grep '^Service/' <<<"$before" | cut -d' ' -f2)" ]] ||
  fail "the Service was replaced"

step "one byte more ($((limit + 1)) bytes) is CodeTooLarge, and what serves stays"
python3 "$SCENARIO_DIR/code_size.py" lambda "$name" "$TMP/running-configmap.json" --stored $((limit + 1)) "$TMP/over.json" >/dev/null
apply_yaml <"$TMP/over.json"
generation=$(jp "pythonlambda/$name" '{.metadata.generation}')
eventually "$SHORT" "observedGeneration reaches $generation" equals "$generation" jp "pythonlambda/$name" '{.status.observedGeneration}'
expect "Ready=False with reason CodeTooLarge" equals CodeTooLarge condition "pythonlambda/$name" Ready reason
message=$(condition "pythonlambda/$name" Ready message)
grep -q "would hold $((limit + 1)) bytes" <<<"$message" || fail "the message does not name $((limit + 1)) bytes: $message"
expect "the Deployment still mounts configmap/$at_limit_cm" equals "$at_limit_cm" code_configmap "$name"
step "PASS"
