#!/usr/bin/env bash
# Nothing is taken over: a Service exists under the name a new lambda wants. The lambda says so
# (Ready=False, NameConflict, naming the Service), gives no URL, and never changes that Service
# (no owner reference, no selector rewrite, no field manager of Metacontroller), under either
# apply strategy. Once the Service is deleted, the lambda makes its own and turns Ready.
source "$(dirname "$0")/lib.sh"

name=taken
step "someone else's Service $name exists first"
k create -n "$NS" service clusterip "$name" --tcp=80:8080 >/dev/null
k label -n "$NS" "service/$name" app=theirs --overwrite >/dev/null
k patch -n "$NS" "service/$name" --type=merge -p '{"spec":{"selector":{"app":"theirs"}}}' >/dev/null
theirs_uid=$(jp "service/$name" '{.metadata.uid}')
theirs_spec=$(jp "service/$name" '{.spec.selector}{.spec.ports}')

step "create the lambda $name"
pyl_yaml "$name" 'def handler(event, context):
    return {"ok": True}' | apply_yaml
eventually "$SHORT" "Ready says NameConflict" equals NameConflict condition "pythonlambda/$name" Ready reason
message=$(condition "pythonlambda/$name" Ready message)
step "  Ready=False: $message"
[[ "$message" == *"Service $NS/$name already exists and is not owned by this lambda"* ]] || fail "the message does not name the Service: $message"
expect "Ready is False" equals False condition "pythonlambda/$name" Ready status
expect "no URL that would lead to their pods" equals "" jp "pythonlambda/$name" '{.status.url}'
sleep 5 # several syncs
expect "their Service is the same object" equals "$theirs_uid" jp "service/$name" '{.metadata.uid}'
expect "their Service has no owner reference" equals "" jp "service/$name" '{.metadata.ownerReferences}'
expect "their Service keeps its selector and ports" equals "$theirs_spec" jp "service/$name" '{.spec.selector}{.spec.ports}'
expect "their Service got no controller-uid label" equals "" jp "service/$name" '{.metadata.labels.controller-uid}'
managers=$(jp "service/$name" '{.metadata.managedFields[*].manager}')
[[ "$managers" != *metacontroller* ]] || fail "Metacontroller wrote to their Service (managers: $managers)"
expect "the lambda's own Deployment exists" jp "deployment/$name" '{.metadata.uid}'

step "their Service goes: the lambda makes its own and turns Ready"
k delete -n "$NS" "service/$name" >/dev/null
eventually "$SHORT" "a Service $name owned by the lambda" equals "$(jp "pythonlambda/$name" '{.metadata.uid}')" owner_uid "service/$name"
cm=$(code_configmap "$name")
eventually "$SHORT" "a pod mounts $cm" equals 1 count_pods_mounting "$cm"
wait_pods_mounting_ready "$cm"
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${SHORT}s" >/dev/null || fail "$name never became Ready"
eventually "$SHORT" "status.url is set" differs "" jp "pythonlambda/$name" '{.status.url}'
step "PASS"
