#!/usr/bin/env bash
# Two webhook versions answering the same lambdas in turn, as during the webhook's own rollout
# (old and new replicas behind one Service) or a rollback: the cluster's webhook (this release's
# runtime) and a second process that renders runtime 0.99.0 (PYLAMBDA_RUNTIME_VERSION; its image
# is the same package tagged pylambda-runtime:0.99.0 by e2e/runtime-image.sh). The
# CompositeController's hooks are switched between the two. On real pods:
# - a lambda whose spec never changes keeps its pod template through every switch (Deployment
#   generation 1, one ReplicaSet): a release does not roll it;
# - a spec change answered by the new webhook moves that lambda to runtime 0.99.0, whose pods
#   get the runtime from the new image's init container and serve; the old webhook never moves it
#   back, and a spec change it is asked to render waits (Ready=False, RuntimeNewer) until the new
#   webhook answers again and rolls it out.
source "$(dirname "$0")/lib.sh"

NEW_VERSION=0.99.0
old_url=$(hooks_base)
old_version=$(node -p "require('$ROOT/package.json').version")
[[ -n "$old_url" ]] || fail "the CompositeController has no sync hook url"
extra_pid=
trap 'rc=$?; set +e; point_hooks "$old_url"; [[ -z "$extra_pid" ]] || kill "$extra_pid" 2>/dev/null; (exit $rc); cleanup_namespace' EXIT

step "the runtime image of the new version: pylambda-runtime:$NEW_VERSION (this package, version $NEW_VERSION)"
"$E2E_DIR/runtime-image.sh" "$NEW_VERSION" | sed 's/^/  /'

new_log="$LOGS/webhook-$NEW_VERSION.log"
step "start the new webhook version (PYLAMBDA_RUNTIME_VERSION=$NEW_VERSION; log ${new_log#"$ROOT"/})"
start_extra_webhook "$new_log" PYLAMBDA_RUNTIME_VERSION="$NEW_VERSION"
new_url=$extra_url
old_log="$LOGS/webhook.log"
# switch_to URL LOG: point the hooks at URL and wait until its webhook has answered both lambdas.
switch_to() {
  point_hooks "$1"
  answered_by "$2" steady moving
}
template_of() { jp "deployment/$1" '{.metadata.generation} {.spec.template.metadata.annotations.pylambda\.dev/runtime-version} {.spec.template.spec.initContainers[0].image}'; }
replica_sets() { k get replicasets -n "$NS" -l "pylambda.dev/lambda=$1" -o name | wc -l | tr -d ' '; }

step "two lambdas, created by the cluster's webhook (runtime $old_version)"
create_ready steady 'def handler(event, context):
    return {"lambda": "steady"}'
create_ready moving 'def handler(event, context):
    return {"version": 1}'
steady_template=$(template_of steady)
step "  steady: generation, runtime, runtime image = $steady_template"
[[ "$steady_template" == "1 $old_version pylambda-runtime:$old_version" ]] || fail "unexpected template: $steady_template"
expect "the init container copied the runtime: moving answers" \
  equals '{"body": {"version": 1}, "status": 200}' call_service moving '{}'

step "switch to the new webhook: neither lambda rolls (same spec: the runtime stays pinned)"
switch_to "$new_url" "$new_log"
expect "steady keeps its template" equals "$steady_template" template_of steady
expect "moving keeps its template" equals "1 $old_version pylambda-runtime:$old_version" template_of moving

step "a spec change of moving, answered by the new webhook, moves it to runtime $NEW_VERSION"
pyl_yaml moving 'def handler(event, context):
    return {"version": 2}' | apply_yaml
eventually "$SHORT" "moving's template names runtime $NEW_VERSION" equals "2 $NEW_VERSION pylambda-runtime:$NEW_VERSION" template_of moving
wait_pods_ready moving
k wait -n "$NS" --for=condition=Ready pyl/moving --timeout="${SHORT}s" >/dev/null || fail "moving never became Ready on $NEW_VERSION"
pod=$(ready_pod pylambda.dev/lambda=moving)
started=$(k logs -n "$NS" "$pod" -c lambda | python3 -c 'import json, sys
for line in sys.stdin:
    entry = json.loads(line)
    if entry.get("msg") == "starting":
        print(entry.get("runtimeVersion"))' 2>&1)
step "  pod/$pod runs the runtime its init container copied from the new image: runtimeVersion $started"
[[ "$started" == "$NEW_VERSION" ]] || fail "the pod's runtime says version '$started', not $NEW_VERSION"
expect "moving serves the new code" equals '{"body": {"version": 2}, "status": 200}' call_service moving '{}'
eventually "$SHORT" "moving's status names runtime $NEW_VERSION" equals "$NEW_VERSION" jp pythonlambda/moving '{.status.runtimeVersion}'
expect "steady's status still names runtime $old_version" equals "$old_version" jp pythonlambda/steady '{.status.runtimeVersion}'

step "switch back to the old webhook: nothing moves back"
switch_to "$old_url" "$old_log"
expect "moving stays on runtime $NEW_VERSION" equals "2 $NEW_VERSION pylambda-runtime:$NEW_VERSION" template_of moving
expect "steady keeps its template" equals "$steady_template" template_of steady

step "a spec change the old webhook is asked to render waits for the new one (RuntimeNewer)"
pyl_yaml moving 'def handler(event, context):
    return {"version": 3}' | apply_yaml
eventually "$SHORT" "Ready=False, reason RuntimeNewer" equals "False RuntimeNewer" \
  bash -c "$BIN/kubectl get -n $NS pyl/moving -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status} {.status.conditions[?(@.type==\"Ready\")].reason}'"
step "  $(condition pythonlambda/moving Ready message)"
expect "moving's Deployment is untouched" equals "2 $NEW_VERSION pylambda-runtime:$NEW_VERSION" template_of moving
expect "moving still serves version 2" equals '{"body": {"version": 2}, "status": 200}' call_service moving '{}'

step "back to the new webhook: the waiting change rolls out"
switch_to "$new_url" "$new_log"
eventually "$SHORT" "moving's Deployment takes the change" equals "3 $NEW_VERSION pylambda-runtime:$NEW_VERSION" template_of moving
wait_pods_ready moving
k wait -n "$NS" --for=condition=Ready pyl/moving --timeout="${SHORT}s" >/dev/null || fail "moving never became Ready with version 3"
expect "moving serves version 3" equals '{"body": {"version": 3}, "status": 200}' call_service moving '{}'

step "alternate the two webhooks four more times: no template changes back and forth"
for round in 1 2 3 4; do
  if ((round % 2)); then switch_to "$old_url" "$old_log"; else switch_to "$new_url" "$new_log"; fi
done
expect "steady: the template it was created with (generation 1)" equals "$steady_template" template_of steady
expect "steady: one ReplicaSet, its pods never rolled" equals 1 replica_sets steady
expect "moving: the three templates of its three specs, no more" equals "3 $NEW_VERSION pylambda-runtime:$NEW_VERSION" template_of moving
step "PASS"
