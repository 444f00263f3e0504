#!/usr/bin/env bash
# Least privilege on the real API server: Metacontroller runs as its ServiceAccount under
# config/metacontroller's ClusterRole (e2e/cluster-up.sh), which lets it manage a lambda's
# children but refuses it any other kind (a hook answer naming a Secret or a ClusterRoleBinding
# cannot be carried out); users bound to the built-in `edit` / `view` roles in a namespace get
# pylambda-edit / pylambda-view (config/rbac) by aggregation.
source "$(dirname "$0")/lib.sh"

MC=system:serviceaccount:metacontroller:metacontroller

# can WANT VERB RESOURCE AS [FLAGS...]: `kubectl auth can-i` answers WANT (yes or no) in $NS.
can() {
  local want=$1 verb=$2 resource=$3 as=$4 got
  shift 4
  got=$(k auth can-i "$verb" "$resource" -n "$NS" --as="$as" "$@" 2>/dev/null) || true
  [[ "$got" == "$want" ]] || fail "can-i $verb $resource as $as $*: got '$got', want '$want'"
  step "  $as $verb $resource $*: $got"
}

step "Metacontroller runs with its ServiceAccount's token, not the admin certificate"
mc_cmd=$(tr '\0' ' ' <"/proc/$(cat "$RUN/metacontroller.pid")/cmdline")
[[ "$mc_cmd" == *"--kubeconfig=$RUN/metacontroller.kubeconfig"* ]] || fail "Metacontroller runs as: $mc_cmd"
who=$(k auth whoami --kubeconfig "$RUN/metacontroller.kubeconfig" -o jsonpath='{.status.userInfo.username}')
[[ "$who" == "$MC" ]] || fail "metacontroller.kubeconfig authenticates as '$who', want $MC"

step "Metacontroller may manage a lambda's children, its status and its own kinds"
for resource in configmaps services deployments.apps horizontalpodautoscalers.autoscaling poddisruptionbudgets.policy; do
  for verb in create update patch delete; do can yes "$verb" "$resource" "$MC"; done
done
can yes update pythonlambdas.pylambda.dev "$MC" --subresource=status
can yes watch replicasets.apps "$MC"
can yes watch pods "$MC"
can yes create events "$MC"
can yes create controllerrevisions.metacontroller.k8s.io "$MC"

step "and nothing else: no Secret, Pod or role binding, no writes to ReplicaSets or PythonLambdas' creation"
can no create secrets "$MC"
can no get secrets "$MC"
can no create pods "$MC"
can no delete pods "$MC"
can no create pods/exec "$MC"
can no create serviceaccounts "$MC"
can no delete replicasets.apps "$MC"
can no create pythonlambdas.pylambda.dev "$MC"
can no create rolebindings.rbac.authorization.k8s.io "$MC"
can no create clusterrolebindings.rbac.authorization.k8s.io "$MC"

step "the API server refuses what a hook answer naming another kind would make Metacontroller do"
if out=$(k create secret generic stolen -n "$NS" --from-literal=token=x --as="$MC" 2>&1); then
  fail "Metacontroller's identity could create a Secret: $out"
fi
grep -qi forbidden <<<"$out" || fail "creating a Secret as Metacontroller failed, but not as Forbidden: $out"
step "  $(cut -c1-200 <<<"$out")"
if out=$(k create clusterrolebinding "e2e-stolen-$NS" --clusterrole=cluster-admin --user=mallory --as="$MC" 2>&1); then
  k delete clusterrolebinding "e2e-stolen-$NS" >/dev/null 2>&1 || true
  fail "Metacontroller's identity could create a ClusterRoleBinding: $out"
fi
grep -qi forbidden <<<"$out" || fail "creating a ClusterRoleBinding as Metacontroller failed, but not as Forbidden: $out"
step "  $(cut -c1-200 <<<"$out")"

step "Metacontroller has not been refused anything during the run so far"
if grep -i 'forbidden' "$LOGS/metacontroller.log" | grep -q "$MC"; then
  fail "Metacontroller was refused: $(grep -i forbidden "$LOGS/metacontroller.log" | grep "$MC" | head -n 3 | cut -c1-400)"
fi

step "users bound to edit / view in the namespace get pylambda-edit / pylambda-view"
k create rolebinding alice-edit --clusterrole=edit --user=alice -n "$NS" >/dev/null
k create rolebinding bob-view --clusterrole=view --user=bob -n "$NS" >/dev/null
# The aggregation controller folds the labelled roles into edit and view.
eventually "$SHORT" "edit to aggregate pylambda-edit" \
  equals yes k auth can-i create pythonlambdas.pylambda.dev -n "$NS" --as=alice
eventually "$SHORT" "view to aggregate pylambda-view" \
  equals yes k auth can-i list pythonlambdas.pylambda.dev -n "$NS" --as=bob
for verb in create update patch delete get list watch; do can yes "$verb" pythonlambdas.pylambda.dev alice; done
can yes update pythonlambdas.pylambda.dev alice --subresource=scale
can no update pythonlambdas.pylambda.dev alice --subresource=status
for verb in get list watch; do can yes "$verb" pythonlambdas.pylambda.dev bob; done
for verb in create update patch delete; do can no "$verb" pythonlambdas.pylambda.dev bob; done
can no create pythonlambdas.pylambda.dev carol

step "alice, bound to edit, creates a PythonLambda; bob, bound to view, cannot"
pyl_yaml hello 'def handler(event, context):
    return "ok"' >"$TMP/hello.yaml"
k create -n "$NS" -f "$TMP/hello.yaml" --as=alice >/dev/null || fail "alice could not create a PythonLambda"
if out=$(pyl_yaml other 'x = 1' | k create -n "$NS" -f - --as=bob 2>&1); then
  fail "bob (view) created a PythonLambda: $out"
fi
grep -qi forbidden <<<"$out" || fail "bob's create failed, but not as Forbidden: $out"
k get -n "$NS" pythonlambdas.pylambda.dev hello --as=bob >/dev/null || fail "bob (view) cannot read alice's PythonLambda"
eventually "$SHORT" "alice's lambda to get its Deployment under Metacontroller's least-privilege role" \
  k get -n "$NS" deployment/hello
step "PASS"
