#!/usr/bin/env bash
# Delete a PythonLambda: its finalize hook runs, then the garbage collector removes the children.
source "$(dirname "$0")/lib.sh"

name=doomed
pyl_yaml "$name" 'def handler(event, context):
    return "bye"' | apply_yaml
eventually "$SHORT" "the children of $name appear" equals 3 \
  bash -c "$BIN/kubectl get -n $NS deployments,configmaps,services -l pylambda.dev/lambda=$name -o name | wc -l | tr -d ' '"
eventually "$SHORT" "the pods of $name exist" \
  k get pods -n "$NS" -l "pylambda.dev/lambda=$name" -o jsonpath='{.items[0].metadata.name}'
step "children: $(k get -n "$NS" deployments,configmaps,services,replicasets,pods -l "pylambda.dev/lambda=$name" -o name | tr '\n' ' ')"

step "delete pythonlambda/$name"
k delete -n "$NS" "pyl/$name" --wait=false >/dev/null
eventually "$SHORT" "pythonlambda/$name is gone (its finalizer removed)" absent "pythonlambda/$name"
eventually 90 "every child of $name is garbage collected" equals 0 \
  bash -c "$BIN/kubectl get -n $NS deployments,configmaps,services,replicasets,pods -l pylambda.dev/lambda=$name -o name | wc -l | tr -d ' '"
step "PASS"
