#!/usr/bin/env bash
# A cluster of thousands of Deployments may drop the DecoratorController's customize hook (README,
# "An annotated Deployment"): Metacontroller asks it about every Deployment of the cluster. The
# sync hook then cannot see a Service someone else holds under the name an annotated Deployment
# wants, and asks for it. What must still hold: the takeover guard refuses Metacontroller's write
# (a SyncError event on the Deployment says so), the foreign Service keeps its spec and has no
# owner, and pylambda.dev/url is never written naming it: the sync hook writes the URL only once
# Metacontroller sends the Service back as the Deployment's own. Deleting the foreign Service
# lets the Deployment get its own Service, and then its URL. The hook is put back afterwards.
source "$(dirname "$0")/lib.sh"

DECORATOR=decoratorcontroller/pylambda-deployment-decorator
saved=$(k get "$DECORATOR" -o jsonpath='{.spec.hooks.customize}')
[[ -n "$saved" ]] || fail "the DecoratorController has no customize hook to drop"
restore() {
  k patch "$DECORATOR" --type=json -p "[{\"op\": \"add\", \"path\": \"/spec/hooks/customize\", \"value\": $saved}]" >/dev/null
}
trap 'rc=$?; set +e; restore; (exit $rc); cleanup_namespace' EXIT

step "drop the DecoratorController's customize hook (a JSON patch, as the README says)"
k patch "$DECORATOR" --type=json -p '[{"op": "remove", "path": "/spec/hooks/customize"}]' >/dev/null
expect "the customize hook is gone" equals "" k get "$DECORATOR" -o jsonpath='{.spec.hooks.customize}'

step "a Service someone else made under the name an annotated Deployment wants"
k create service clusterip other-lambda -n "$NS" --tcp=8080:9999 >/dev/null
foreign_uid=$(jp service/other-lambda '{.metadata.uid}')
k create deployment -n "$NS" other --image=python:3.13-slim --replicas=0 >/dev/null
k annotate -n "$NS" deployment/other pylambda.dev/handler=main.handler >/dev/null
annotation() { jp deployment/other "{.metadata.annotations.pylambda\.dev/$1}"; }
eventually "$SHORT" "pylambda.dev/configmap is written (the sync hook ran)" differs "" annotation configmap
guard_events() {
  k get events -n "$NS" --field-selector involvedObject.kind=Deployment,involvedObject.name=other,reason=SyncError \
    -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' | grep 'pylambda takeover guard'
}
if [[ "${APPLY_STRATEGY:-server-side-apply}" == server-side-apply ]]; then
  # Under server-side apply Metacontroller would force-apply over the Service; the guard refuses.
  eventually "$SHORT" "a SyncError event on deployment/other names the takeover guard" guard_events
  step "  event: $(guard_events | head -n 1 | cut -c1-300)"
else
  # dynamic-apply creates the Service, gets AlreadyExists and leaves it.
  sleep 5
fi
expect "the foreign Service is the same object" equals "$foreign_uid" jp service/other-lambda '{.metadata.uid}'
expect "the foreign Service has no owner" equals "" jp service/other-lambda '{.metadata.ownerReferences}'
expect "the foreign Service keeps its port" equals 9999 jp service/other-lambda '{.spec.ports[0].targetPort}'
expect "the foreign Service keeps its selector" equals '{"app":"other-lambda"}' jp service/other-lambda '{.spec.selector}'
expect "no pylambda.dev/url names the foreign Service" equals "" annotation url
expect "no pylambda.dev/service names the foreign Service" equals "" annotation service

step "delete the foreign Service: deployment/other gets its own Service, then its URL"
k delete -n "$NS" service/other-lambda >/dev/null
# Metacontroller's retry backoff grew while the guard refused; its resync (60 s) bounds the wait.
eventually 150 "pylambda.dev/url is written on deployment/other" \
  equals "http://other-lambda.$NS.svc.cluster.local:8080" annotation url
other_uid=$(jp deployment/other '{.metadata.uid}')
expect "service/other-lambda is owned by deployment/other" equals "$other_uid" owner_uid service/other-lambda
[[ "$(jp service/other-lambda '{.metadata.uid}')" != "$foreign_uid" ]] || fail "service/other-lambda is still the foreign one"
k delete -n "$NS" deployment/other >/dev/null
step "PASS"
