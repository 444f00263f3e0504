#!/usr/bin/env bash
# The takeover guard (config/takeover-guard, a ValidatingAdmissionPolicy the API server evaluates)
# refuses Metacontroller's update or delete of an object pylambda does not own, whatever a hook
# answers: a user's Service, ConfigMap, Deployment, HorizontalPodAutoscaler and PodDisruptionBudget
# survive Metacontroller's identity trying to patch or delete them. Objects pylambda owns stay
# writable, and the user is not limited.
source "$(dirname "$0")/lib.sh"

MC=system:serviceaccount:metacontroller:metacontroller
expect "the policy and its binding are installed" \
  k get validatingadmissionpolicy/pylambda-takeover-guard validatingadmissionpolicybinding/pylambda-takeover-guard -o name

step "a user's own Service, ConfigMap, Deployment, autoscaler and disruption budget (no pylambda label, no PythonLambda owner)"
k create service clusterip theirs -n "$NS" --tcp=80:8080 >/dev/null
k create configmap theirs -n "$NS" --from-literal=keep=me >/dev/null
k create deployment theirs -n "$NS" --image=python:3.13-slim --replicas=0 >/dev/null
k create poddisruptionbudget theirs -n "$NS" --selector=app=theirs --max-unavailable=1 >/dev/null
# Aimed at no Deployment, so that no controller scales anything.
apply_yaml <<'YAML'
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: theirs
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: nothing-here }
  minReplicas: 1
  maxReplicas: 2
YAML
for object in service/theirs configmap/theirs deployment/theirs \
  horizontalpodautoscaler.autoscaling/theirs poddisruptionbudget.policy/theirs; do
  uid=$(jp "$object" '{.metadata.uid}')
  if out=$(k label -n "$NS" "$object" stolen=yes --as="$MC" 2>&1); then
    fail "Metacontroller's identity could change $object: $out"
  fi
  [[ "$out" == *"pylambda takeover guard"* && "$out" == *"is not owned by pylambda"* ]] ||
    fail "changing $object as Metacontroller failed, but not by the guard: $out"
  if out=$(k delete -n "$NS" "$object" --as="$MC" 2>&1); then
    fail "Metacontroller's identity could delete $object: $out"
  fi
  [[ "$out" == *"pylambda takeover guard"* ]] || fail "deleting $object as Metacontroller failed, but not by the guard: $out"
  expect "$object is the same object, unchanged" equals "$uid|" jp "$object" '{.metadata.uid}|{.metadata.labels.stolen}'
done
step "  refused: $(cut -c1-240 <<<"$out")"

step "the user is not limited by it"
k label -n "$NS" service/theirs mine=yes >/dev/null || fail "the user could not label their own Service"

step "what pylambda owns stays writable by Metacontroller"
k create configmap ours -n "$NS" --from-literal=a=b >/dev/null
k label -n "$NS" configmap/ours app.kubernetes.io/managed-by=pylambda >/dev/null
out=$(k label -n "$NS" configmap/ours touched=yes --as="$MC" 2>&1) || fail "Metacontroller could not change a pylambda ConfigMap: $out"
pyl_yaml owned 'def handler(event, context):
    return 1' | apply_yaml
eventually "$SHORT" "the lambda's Service appears" jp service/owned '{.metadata.uid}'
out=$(k label -n "$NS" service/owned touched=yes --as="$MC" 2>&1) || fail "Metacontroller could not change the lambda's Service: $out"
step "PASS"
