#!/usr/bin/env bash
# config/components/composite-finalizer on the real control plane: the controllers of config/local
# with the component (its finalize hook's url set here, as config/local sets the others). A new
# PythonLambda gets Metacontroller's finalizer, and deleting it calls the finalize hook before it
# goes. Then back to config/local without the hook, as an upgrade would do: Metacontroller removes
# its finalizer from the PythonLambdas that still carry it (v4.17.2 finalizer.Manager.SyncObject,
# called first thing in every sync of a parent), so nothing is left to hang on delete.
source "$(dirname "$0")/lib.sh"

FINALIZER=metacontroller.io/compositecontroller-pythonlambda-controller
[[ -f "$RUN/config-local.yaml" ]] || { step "SKIP: config/local was not applied"; exit 77; }

restore_controllers() {
  local rc=$?
  k apply --server-side -f "$RUN/config-local.yaml" >/dev/null 2>&1 || true
  (exit $rc)
  cleanup_namespace
}
trap restore_controllers EXIT

mkdir -p "$TMP/overlay"
cat >"$TMP/overlay/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$TMP/overlay" "$ROOT/config/local")
components:
  - $(realpath --relative-to="$TMP/overlay" "$ROOT/config/components/composite-finalizer")
patches:
  - target:
      group: metacontroller.k8s.io
      kind: CompositeController
    patch: |-
      - op: add
        path: /spec/hooks/finalize/webhook/url
        value: http://127.0.0.1:__WEBHOOK_PORT__/hooks/pythonlambda/finalize
YAML
k kustomize "$TMP/overlay" | sed "s/__WEBHOOK_PORT__/$WEBHOOK_PORT/g" >"$TMP/with-finalizer.yaml" ||
  fail "kubectl kustomize of config/local with the component failed"
step "apply config/local with config/components/composite-finalizer"
k apply --server-side -f "$TMP/with-finalizer.yaml" >/dev/null
expect "the CompositeController has the finalize hook" equals \
  "http://127.0.0.1:$WEBHOOK_PORT/hooks/pythonlambda/finalize" \
  k get compositecontroller pythonlambda-controller -o 'jsonpath={.spec.hooks.finalize.webhook.url}'

for name in fin kept; do
  pyl_yaml "$name" 'def handler(event, context):
    return "hi"' | apply_yaml
done
for name in fin kept; do
  eventually "$SHORT" "pythonlambda/$name gets Metacontroller's finalizer" equals "$FINALIZER" \
    jp "pyl/$name" '{.metadata.finalizers[*]}'
  eventually "$SHORT" "the children of $name appear" equals 3 \
    bash -c "$BIN/kubectl get -n $NS deployments,configmaps,services -l pylambda.dev/lambda=$name -o name | wc -l | tr -d ' '"
done

step "delete pythonlambda/fin: the finalize hook runs, then it goes"
k delete -n "$NS" pyl/fin --wait=false >/dev/null
eventually "$SHORT" "pythonlambda/fin is gone (its finalizer removed)" absent pythonlambda/fin
finalize_calls() {
  tail -n "+$WEBHOOK_LOG_START" "$LOGS/webhook.log" |
    grep -c "\"hook\":\"pythonlambda/finalize\",\"namespace\":\"$NS\",\"name\":\"fin\"" || true
}
calls=$(finalize_calls)
expect "the webhook answered the finalize hook for fin (calls: $calls)" [ "$calls" -ge 1 ]
step "the webhook answered $calls finalize call(s) for fin"
eventually 90 "every child of fin is gone" equals 0 \
  bash -c "$BIN/kubectl get -n $NS deployments,configmaps,services,replicasets,pods -l pylambda.dev/lambda=fin -o name | wc -l | tr -d ' '"

step "back to config/local (no finalize hook), as an upgrade from an install with it"
k apply --server-side -f "$RUN/config-local.yaml" >/dev/null
expect "the CompositeController has no finalize hook" equals "" \
  k get compositecontroller pythonlambda-controller -o 'jsonpath={.spec.hooks.finalize}'
eventually "$SHORT" "Metacontroller removes its finalizer from pythonlambda/kept" equals "" \
  jp pyl/kept '{.metadata.finalizers}'
expect "kept keeps its children" equals 3 \
  bash -c "$BIN/kubectl get -n $NS deployments,configmaps,services -l pylambda.dev/lambda=kept -o name | wc -l | tr -d ' '"
k delete -n "$NS" pyl/kept --wait=false >/dev/null
eventually "$SHORT" "pythonlambda/kept is gone" absent pythonlambda/kept
step "PASS"
