#!/usr/bin/env bash
# Annotate a Deployment as a Python lambda (the greeter sample): the attachments (settings
# ConfigMap, Service) appear, owned by the Deployment, and the annotations are written; the pod
# gets the runtime from the runtime image (init container) and answers; a bad annotation, or a
# Deployment still running the runtime file of older releases, keeps the attachments and says why; removing
# the annotation removes the Service and the written annotations, and keeps the settings ConfigMap
# the pod template still mounts; a Service someone else holds under the wanted name is never taken
# over; deleting the Deployment leaves nothing behind.
source "$(dirname "$0")/lib.sh"

deploy=greeter
sample="$ROOT/config/samples/annotated-deployment-greeter.yaml"
step "apply ${sample#"$ROOT"/} in $NS"
k apply -n "$NS" -f "$sample" >/dev/null
uid=$(jp "deployment/$deploy" '{.metadata.uid}')

annotation() { jp "deployment/$deploy" "{.metadata.annotations.pylambda\.dev/$1}"; }
attachments() {
  k get -n "$NS" configmaps,services -o json | python3 -c '
import json, sys
uid = sys.argv[1]
for o in json.load(sys.stdin)["items"]:
    if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences", [])):
        print(o["kind"] + "/" + o["metadata"]["name"], o["metadata"]["uid"])' "$uid"
}
count_attachments() { attachments | wc -l | tr -d ' '; }

step "the attachments appear, owned by the Deployment, and the annotations are written"
eventually "$SHORT" "pylambda.dev/url is written on deployment/$deploy" differs "" annotation url
# Each name is written once its attachment is seen: the ConfigMap's may come a sync later.
eventually "$SHORT" "pylambda.dev/configmap is written on deployment/$deploy" differs "" annotation configmap
eventually "$SHORT" "two attachments (ConfigMap, Service) owned by deployment/$deploy" equals 2 count_attachments
before=$(attachments)
sed 's/^/  /' <<<"$before"
cm=$(annotation configmap)
svc=$(annotation service)
step "  annotations: url=$(annotation url) service=$svc configmap=$cm"
grep -q "^ConfigMap/$cm " <<<"$before" || fail "pylambda.dev/configmap=$cm is not an attachment: $before"
grep -q "^Service/$svc " <<<"$before" || fail "pylambda.dev/service=$svc is not an attachment: $before"
[[ "$(annotation url)" == "http://$svc.$NS.svc."* ]] || fail "pylambda.dev/url does not name the Service: $(annotation url)"
expect "the Service selects the Deployment's pods" \
  equals "$(jp "deployment/$deploy" '{.spec.selector.matchLabels}')" jp "service/$svc" '{.spec.selector}'
[[ -z "$(annotation error)" ]] || fail "pylambda.dev/error is set: $(annotation error)"

step "the Deployment's pods run on the node (runtime from the runtime image, settings from the attached ConfigMap); call one at its pod IP"
wait_pods_ready "$deploy"
selector=$(k get -n "$NS" "deployment/$deploy" -o go-template='{{range $k, $v := .spec.selector.matchLabels}}{{$k}}={{$v}},{{end}}')
pod=$(ready_pod "${selector%,}")
out=$(call_pod "$pod" '{"name": "Ada"}' 2>&1) || fail "calling the decorated Deployment's pod/$pod failed: $out"
step "  response: $out"
grep -q 'Hello, Ada!' <<<"$out" || fail "unexpected response: $out"

step "a bad annotation keeps the attachments and says why in pylambda.dev/error"
k annotate -n "$NS" "deployment/$deploy" --overwrite pylambda.dev/port=eighty >/dev/null
eventually "$SHORT" "pylambda.dev/error is written" annotation error
step "  pylambda.dev/error: $(annotation error)"
grep -q 'pylambda.dev/port' <<<"$(annotation error)" || fail "the error does not name the annotation: $(annotation error)"
sleep 2
[[ "$(attachments)" == "$before" ]] || fail "the attachments changed after a bad annotation: $(attachments)"
k annotate -n "$NS" "deployment/$deploy" --overwrite pylambda.dev/port=8080 >/dev/null
eventually "$SHORT" "pylambda.dev/error is removed once the annotation is fixed" equals "" annotation error
data_keys() { k get -n "$NS" "configmap/$1" -o json | python3 -c 'import json, sys; print(" ".join(sorted(json.load(sys.stdin)["data"])))'; }
expect "the attached ConfigMap holds settings.json and no runtime" equals settings.json data_keys "$cm"

step "a Deployment set up for older releases (the runtime file from the attached ConfigMap): attachments kept, pylambda.dev/error says how to move on"
k patch -n "$NS" "deployment/$deploy" --type=json -p '[{"op": "replace", "path": "/spec/template/spec/containers/0/command", "value": ["python", "-u", "/opt/pylambda/runtime/pylambda_runtime.py"]}]' >/dev/null
eventually "$SHORT" "pylambda.dev/error is written" annotation error
step "  pylambda.dev/error: $(annotation error)"
grep -q 'pylambda_runtime.py' <<<"$(annotation error)" || fail "the error does not name the old runtime file: $(annotation error)"
sleep 2
[[ "$(attachments)" == "$before" ]] || fail "the attachments changed for a Deployment on the old layout: $(attachments)"
k rollout undo -n "$NS" "deployment/$deploy" >/dev/null
eventually "$SHORT" "pylambda.dev/error is removed once the Deployment runs the runtime package again" equals "" annotation error
wait_pods_ready "$deploy"

step "remove the pylambda.dev/handler annotation: the Service and the written annotations go away; the settings ConfigMap its pod template still mounts stays"
cm_uid=$(jp "configmap/$cm" '{.metadata.uid}')
k annotate -n "$NS" "deployment/$deploy" pylambda.dev/handler- >/dev/null
eventually "$SHORT" "only the mounted settings ConfigMap is left" equals "ConfigMap/$cm $cm_uid" attachments
eventually "$SHORT" "pylambda.dev/url is removed" equals "" annotation url
for a in service configmap error; do [[ -z "$(annotation "$a")" ]] || fail "pylambda.dev/$a is still set"; done
eventually "$SHORT" "Metacontroller's finalizer is removed from the Deployment" equals "" \
  jp "deployment/$deploy" '{.metadata.finalizers}'
expect "the Deployment itself is still there" equals "$uid" jp "deployment/$deploy" '{.metadata.uid}'
step "  a rollout after opting out still starts pods: they mount the ConfigMap that stayed"
k rollout restart -n "$NS" "deployment/$deploy" >/dev/null
eventually 120 "the restarted rollout completes" bash -c "$BIN/kubectl rollout status -n $NS deployment/$deploy --timeout=5s >/dev/null 2>&1"
wait_pods_ready "$deploy"

step "annotate it again: the ConfigMap that stayed is its attachment again, and the Service comes back"
k annotate -n "$NS" "deployment/$deploy" pylambda.dev/handler=main.handler >/dev/null
eventually "$SHORT" "the attachments come back" equals 2 count_attachments
expect "the settings ConfigMap is the one that stayed" equals "$cm_uid" jp "configmap/$cm" '{.metadata.uid}'

step "a Service someone else made under the name another annotated Deployment wants is never taken over"
k create service clusterip -n "$NS" other-lambda --tcp=80:9999 >/dev/null
foreign_uid=$(jp service/other-lambda '{.metadata.uid}')
k create deployment -n "$NS" other --image=python:3.13-slim --replicas=0 >/dev/null
k annotate -n "$NS" deployment/other pylambda.dev/handler=main.handler >/dev/null
other_annotation() { jp deployment/other "{.metadata.annotations.pylambda\.dev/$1}"; }
eventually "$SHORT" "pylambda.dev/error on deployment/other names the Service" \
  bash -c "$BIN/kubectl get -n $NS deployment/other -o jsonpath='{.metadata.annotations.pylambda\.dev/error}' | grep -q 'Service $NS/other-lambda already exists'"
step "  pylambda.dev/error: $(other_annotation error)"
sleep 3
expect "the foreign Service has no owner" equals "" jp service/other-lambda '{.metadata.ownerReferences}'
expect "the foreign Service keeps its port" equals 9999 jp service/other-lambda '{.spec.ports[0].targetPort}'
expect "the foreign Service keeps its selector" equals '{"app":"other-lambda"}' jp service/other-lambda '{.spec.selector}'
expect "no URL is written for deployment/other" equals "" other_annotation url
expect "no settings ConfigMap is made for deployment/other" equals "" \
  bash -c "$BIN/kubectl get -n $NS configmap/other-pylambda -o name 2>/dev/null || true"
step "  delete the foreign Service: deployment/other gets its own"
k delete -n "$NS" service/other-lambda >/dev/null
eventually "$SHORT" "pylambda.dev/url is written on deployment/other" differs "" other_annotation url
expect "the error is gone" equals "" other_annotation error
[[ "$(jp service/other-lambda '{.metadata.uid}')" != "$foreign_uid" ]] || fail "service/other-lambda is still the foreign one"
k delete -n "$NS" deployment/other >/dev/null

step "delete the Deployment: nothing is left behind"
k delete -n "$NS" "deployment/$deploy" --wait=false >/dev/null
eventually "$SHORT" "deployment/$deploy is gone" absent "deployment/$deploy"
eventually 90 "no attachment, ReplicaSet or pod of $deploy is left" equals "" bash -c "
  $BIN/kubectl get -n $NS configmaps,services,replicasets,pods -o name | grep -v -e kube-root-ca.crt -e configmap/greeter-code || true"
step "PASS"
