#!/usr/bin/env bash
# Delete a PythonLambda: it carries no Metacontroller finalizer (the CompositeController has no
# finalize hook), so it goes at once, and the garbage collector of kube-controller-manager removes
# its children through their owner references. With config/components/composite-finalizer:
# 55-pythonlambda-composite-finalizer.sh.
source "$(dirname "$0")/lib.sh"

name=doomed
pyl_yaml "$name" 'def handler(event, context):
    return "bye"' | apply_yaml
eventually "$SHORT" "the children of $name appear" equals 3 \
  bash -c "$BIN/kubectl get -n $NS deployments,configmaps,services -l pylambda.dev/lambda=$name -o name | wc -l | tr -d ' '"
eventually "$SHORT" "the pods of $name exist" \
  k get pods -n "$NS" -l "pylambda.dev/lambda=$name" -o jsonpath='{.items[0].metadata.name}'
step "children: $(k get -n "$NS" deployments,configmaps,services,replicasets,pods -l "pylambda.dev/lambda=$name" -o name | tr '\n' ' ')"
expect "pythonlambda/$name carries no finalizer (it has: $(jp "pyl/$name" '{.metadata.finalizers}'))" \
  equals "" jp "pyl/$name" '{.metadata.finalizers}'
owner=$(jp "deployment/$name" '{.metadata.ownerReferences[?(@.controller==true)].kind}/{.metadata.ownerReferences[?(@.controller==true)].name}')
expect "deployment/$name is owned by pythonlambda/$name (owner: '$owner')" [ "$owner" = "PythonLambda/$name" ]

step "delete pythonlambda/$name"
k delete -n "$NS" "pyl/$name" --wait=false >/dev/null
eventually "$SHORT" "pythonlambda/$name is gone" absent "pythonlambda/$name"
eventually 90 "every child of $name is garbage collected" equals 0 \
  bash -c "$BIN/kubectl get -n $NS deployments,configmaps,services,replicasets,pods -l pylambda.dev/lambda=$name -o name | wc -l | tr -d ' '"
step "PASS"
