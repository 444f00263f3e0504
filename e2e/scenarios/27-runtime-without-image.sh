#!/usr/bin/env bash
# A lambda whose runtime has no image on the node is reported in status, not left as an
# unexplained pending pod: the node has Debian's Python 3.11 and 3.13 only, so `runtime: "3.14"`
# cannot start. Ready is False and its message names the pod and the image pull failure (from
# the pods the customize hook brings). The node never pulls: every registry resolves to a closed
# port on loopback, so the failure names 127.0.0.1. Moving to a runtime the node has fixes it.
source "$(dirname "$0")/lib.sh"

name=future
code='def handler(event, context):
    return {"ok": True}'

step "create $name with runtime 3.14 (no image for it on this node)"
pyl_yaml "$name" "$code" 'runtime: "3.14"' | apply_yaml
eventually "$SHORT" "Deployment $name appears" jp "deployment/$name" '{.metadata.uid}'
expect "the Deployment asks for python:3.14-slim" equals python:3.14-slim \
  jp "deployment/$name" '{.spec.template.spec.containers[?(@.name=="lambda")].image}'
eventually "$POD_WAIT" "Ready=False names the image pull failure" \
  ready_false_matching "$name" "(ErrImagePull|ImagePullBackOff)"
message=$(condition "pythonlambda/$name" Ready message)
step "  Ready=False reason=$(condition "pythonlambda/$name" Ready reason): $message"
[[ "$message" == *"pod $name-"* ]] || fail "the message does not name the pod: $message"
waiting=$(k get pods -n "$NS" -l "pylambda.dev/lambda=$name" -o jsonpath='{.items[0].status.containerStatuses[0].state.waiting.message}')
step "  the kubelet says: ${waiting:0:300}"
[[ "$waiting" == *127.0.0.1:9* ]] || fail "the pull was not sent to the closed loopback port: $waiting"

step "move to runtime 3.13: the pods start and Ready turns True"
pyl_yaml "$name" "$code" 'runtime: "3.13"' | apply_yaml
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${POD_WAIT}s" >/dev/null ||
  fail "$name did not turn Ready on 3.13: $(condition "pythonlambda/$name" Ready message)"
out=$(call_service "$name" '{}' 2>&1) || fail "calling service/$name failed: $out"
[[ "$out" == *'"status": 200'* ]] || fail "unexpected answer: $out"
step "  $out"
step "PASS"
