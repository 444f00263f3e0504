#!/usr/bin/env bash
# `requirements` are installed by the pip init container from the package registry, the one pod
# egress the node allows (e2e/node-egress.sh: DNS to the host's resolver and HTTPS to the
# registry, opened for this scenario only). A handler importing the installed package serves.
# Then a requirement that cannot install: the new pod's init container fails, the rollout stalls
# with the old pod serving, its ConfigMap kept, and status says which container failed and why
# (pip's last lines). Fixing the requirement rolls out.
source "$(dirname "$0")/lib.sh"

"$E2E_DIR/node-egress.sh" open >/dev/null || fail "could not open the pod egress to the registry"
trap 'rc=$?; set +e; "$E2E_DIR/node-egress.sh" close >/dev/null; (exit $rc); cleanup_namespace' EXIT

name=deps
code='import six

def handler(event, context):
    return {"six": six.__version__, "version": VERSION}'
with_version() { printf 'VERSION = %s\n%s' "$1" "$code"; }

step "create $name with requirements six==1.16.0: pip installs it in the init container"
pyl_yaml "$name" "$(with_version 1)" 'requirements: "six==1.16.0\n"' | apply_yaml
eventually "$SHORT" "Deployment $name appears" jp "deployment/$name" '{.metadata.uid}'
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${POD_WAIT}s" >/dev/null ||
  fail "$name never became Ready: $(condition "pythonlambda/$name" Ready message); pods: $(pod_states)"
v1_cm=$(code_configmap "$name")
out=$(call_service "$name" '{}' 2>&1) || fail "calling service/$name failed: $out"
[[ "$out" == *'"six": "1.16.0"'* ]] || fail "the handler did not import the installed six: $out"
step "  $out"

step "a requirement that cannot install: the old pod keeps serving and status says why"
missing=pylambda-e2e-no-such-package
pyl_yaml "$name" "$(with_version 2)" "requirements: \"$missing==0.0.1\\n\"" | apply_yaml
# One read must show both: between pip's attempts (the init container restarts with backoff) the
# pod has no problem to report for a moment, and a second read could land there.
eventually "$POD_WAIT" "Ready=False names the failing init container and the requirement pip could not find" \
  ready_false_matching "$name" "init container install-requirements.*$missing"
step "  Ready=False reason=$(condition "pythonlambda/$name" Ready reason): $(condition "pythonlambda/$name" Ready message | cut -c1-600)"
expect "configmap/$v1_cm (serving) is still there" present "configmap/$v1_cm"
out=$(call_service "$name" '{}' 2>&1) || fail "calling service/$name during the stalled rollout failed: $out"
[[ "$out" == *'"status": 200'* && "$out" == *'"version": 1'* ]] || fail "the old pod does not serve v1: $out"
step "  the old pod still serves: $out"

step "fix the requirement: the rollout completes"
pyl_yaml "$name" "$(with_version 3)" 'requirements: "six==1.17.0\n"' | apply_yaml
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${POD_WAIT}s" >/dev/null ||
  fail "$name did not turn Ready after the fix: $(condition "pythonlambda/$name" Ready message)"
eventually "$SHORT" "the Service answers with v3 and six 1.17.0" \
  bash -c "python3 $SCENARIO_DIR/call.py $(service_url "$name") '{}' | grep -q '\"six\": \"1.17.0\"'"
step "PASS"
