#!/usr/bin/env bash
# The scale subresource and the autoscaler on the real control plane: `kubectl scale pyl/NAME`
# moves the Deployment through the PythonLambda; the HorizontalPodAutoscaler the hook renders is
# accepted by the API server, and kube-controller-manager's HPA controller acts on the lambda's
# scale subresource (without metrics-server it still keeps minReplicas..maxReplicas); switching
# autoscaling off removes the HPA and leaves spec.replicas where it was; the PodDisruptionBudget
# comes from 2 replicas and goes with 1 or `enabled: false`. It checks API objects only, so it
# passes with or without pods running.
source "$(dirname "$0")/lib.sh"

name=auto
code='def handler(event, context):
    return {"ok": True}'
# The replicas the PythonLambda wants, and the replicas its Deployment is given.
want() { jp "pythonlambda/$name" '{.spec.replicas}'; }
deployment_replicas() { jp "deployment/$name" '{.spec.replicas}'; }
replicas_are() {
  equals "$1" want && equals "$1" deployment_replicas
}

step "create $name (no replicas in the manifest: default 1)"
pyl_yaml "$name" "$code" | apply_yaml
eventually "$SHORT" "the Deployment wants 1" replicas_are 1
expect "a lambda with 1 replica has no PodDisruptionBudget" absent "poddisruptionbudget/$name"
expect "a lambda without autoscaling has no HorizontalPodAutoscaler" absent "horizontalpodautoscaler/$name"

step "kubectl scale pyl/$name --replicas=3 (the scale subresource)"
k scale -n "$NS" "pyl/$name" --replicas=3 >/dev/null || fail "kubectl scale pyl/$name was refused"
eventually "$SHORT" "the Deployment follows the PythonLambda to 3" replicas_are 3
selector=$(k get -n "$NS" "pyl/$name" --subresource=scale -o 'jsonpath={.status.selector}')
[[ "$selector" == *"pylambda.dev/lambda=$name"* ]] || fail "the scale subresource's selector is '$selector'"
eventually "$SHORT" "a PodDisruptionBudget from 2 replicas" equals 1 jp "poddisruptionbudget/$name" '{.spec.maxUnavailable}'
expect "the budget is the lambda's" equals "$(jp "pythonlambda/$name" '{.metadata.uid}')" owner_uid "poddisruptionbudget/$name"

step "kubectl scale to 1: the budget goes"
k scale -n "$NS" "pyl/$name" --replicas=1 >/dev/null
eventually "$SHORT" "the Deployment follows to 1" replicas_are 1
eventually "$SHORT" "no PodDisruptionBudget with 1 replica" absent "poddisruptionbudget/$name"

step "the CRD refuses minReplicas above maxReplicas, naming the field, and the lambda keeps running"
if out=$(pyl_yaml "$name" "$code" 'autoscaling: {minReplicas: 5, maxReplicas: 2, targetCPUUtilizationPercentage: 50}' |
  apply_yaml 2>&1); then
  fail "minReplicas 5 > maxReplicas 2 was accepted"
fi
[[ "$out" == *autoscaling* && "$out" == *minReplicas* ]] || fail "the refusal does not name spec.autoscaling.minReplicas: $out"
expect "the refused update left the Deployment" replicas_are 1

step "autoscaling on (minReplicas 4 above the current 1): the hook renders an HPA"
pyl_yaml "$name" "$code" 'autoscaling: {minReplicas: 4, maxReplicas: 6, targetCPUUtilizationPercentage: 50}' | apply_yaml
eventually "$SHORT" "an HPA for $name" equals "PythonLambda/$name" jp "horizontalpodautoscaler/$name" '{.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name}'
expect "the HPA targets pylambda.dev/v1alpha1" equals pylambda.dev/v1alpha1 jp "horizontalpodautoscaler/$name" '{.spec.scaleTargetRef.apiVersion}'
expect "the HPA is the lambda's" equals "$(jp "pythonlambda/$name" '{.metadata.uid}')" owner_uid "horizontalpodautoscaler/$name"
expect "the HPA says 4..6 on 50% CPU" equals "4 6 cpu 50" jp "horizontalpodautoscaler/$name" '{.spec.minReplicas} {.spec.maxReplicas} {.spec.metrics[0].resource.name} {.spec.metrics[0].resource.target.averageUtilization}'

step "the HPA controller raises spec.replicas to minReplicas through the scale subresource"
# The HPA controller syncs every 15 s; the first sync sees 1 < minReplicas and scales to 4.
eventually 90 "the HPA controller scales the PythonLambda to 4" replicas_are 4
expect "the HPA's status says 4 desired" equals 4 jp "horizontalpodautoscaler/$name" '{.status.desiredReplicas}'
# spec.replicas is no longer the manifest applier's: the HPA controller wrote it through the scale subresource.
owners=$(k get -n "$NS" "pyl/$name" --show-managed-fields -o json | python3 -c '
import json, sys
o = json.load(sys.stdin)
print(" ".join(sorted("%s(%s%s)" % (m["manager"], m["operation"], "/" + m["subresource"] if m.get("subresource") else "")
  for m in o["metadata"]["managedFields"] if "f:replicas" in m.get("fieldsV1", {}).get("f:spec", {}))))')
step "  spec.replicas owned by: ${owners:-nobody}"
[[ "$owners" != *"e2e(Apply"* ]] || fail "spec.replicas still belongs to the manifest's applier: $owners"
eventually "$SHORT" "a SuccessfulRescale event on the HPA" bash -c "$BIN/kubectl get events -n $NS --field-selector involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=$name,reason=SuccessfulRescale -o name | grep -q ."
# Without metrics-server the controller cannot read CPU: the target is found (its selector read
# from the scale subresource) and the metric is what fails.
eventually 90 "ScalingActive=False, FailedGetResourceMetric (no metrics-server)" equals "False FailedGetResourceMetric" \
  jp "horizontalpodautoscaler/$name" '{.status.conditions[?(@.type=="ScalingActive")].status} {.status.conditions[?(@.type=="ScalingActive")].reason}'
expect "AbleToScale=True" equals True condition "horizontalpodautoscaler/$name" AbleToScale status
step "  HPA events: $(k get events -n "$NS" --field-selector "involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=$name" -o 'jsonpath={range .items[*]}{.reason}, {end}')"
eventually "$SHORT" "a PodDisruptionBudget while autoscaling to 6" equals 1 jp "poddisruptionbudget/$name" '{.spec.maxUnavailable}'

step "autoscaling changed (2..3): the HPA is updated and the controller lowers spec.replicas to 3"
pyl_yaml "$name" "$code" 'autoscaling: {minReplicas: 2, maxReplicas: 3, targetMemoryUtilizationPercentage: 80}' | apply_yaml
eventually "$SHORT" "the HPA says 2..3 on 80% memory" equals "2 3 memory 80" jp "horizontalpodautoscaler/$name" '{.spec.minReplicas} {.spec.maxReplicas} {.spec.metrics[0].resource.name} {.spec.metrics[0].resource.target.averageUtilization}'
eventually 90 "the HPA controller scales the PythonLambda down to maxReplicas 3" replicas_are 3

step "kubectl scale while autoscaling: the HPA brings it back within its range"
k scale -n "$NS" "pyl/$name" --replicas=1 >/dev/null
eventually 90 "the HPA controller scales back to minReplicas 2" replicas_are 2

step "autoscaling off: the HPA goes, spec.replicas stays where the autoscaler left it"
pyl_yaml "$name" "$code" | apply_yaml
eventually "$SHORT" "the HPA is removed" absent "horizontalpodautoscaler/$name"
sleep 3
expect "spec.replicas and the Deployment stay at 2 (not the default 1)" replicas_are 2
expect "the budget stays with 2 replicas" equals 1 jp "poddisruptionbudget/$name" '{.spec.maxUnavailable}'

step "disruptionBudget.enabled: false removes the budget"
pyl_yaml "$name" "$code" 'disruptionBudget: {enabled: false}' | apply_yaml
eventually "$SHORT" "the PodDisruptionBudget is removed" absent "poddisruptionbudget/$name"
expect "replicas unchanged" replicas_are 2
step "PASS"
