#!/usr/bin/env bash
# The webhook stops for a while and comes back: nothing is lost while it is down (Metacontroller
# cannot sync, children stay as they are), then Metacontroller retries and everything converges.
source "$(dirname "$0")/lib.sh"

# Whatever happens here, the webhook must be running again for the scenarios after this one.
restart_webhook_on_exit() {
  local rc=$?
  alive webhook || start_webhook || true
  (exit $rc)
  cleanup_namespace
}
trap restart_webhook_on_exit EXIT

code() { printf 'def handler(event, context):\n    return {"version": %s}' "$1"; }
pyl_yaml steady "$(code 1)" | apply_yaml
eventually "$SHORT" "observedGeneration 1 of steady" equals 1 jp pythonlambda/steady '{.status.observedGeneration}'

outage=${E2E_OUTAGE_SECONDS:-10}
step "stop the webhook for ${outage}s; meanwhile update steady and create newcomer"
stop webhook
pyl_yaml steady "$(code 2)" | apply_yaml
pyl_yaml newcomer "$(code 1)" | apply_yaml
sleep "$outage"
expect "steady's code ConfigMap still holds v1 while the webhook is down" served_code_has steady 'version": 1'
expect "steady still has its one code ConfigMap" equals 1 bash -c "$BIN/kubectl get -n $NS configmaps -l pylambda.dev/lambda=steady -o name | wc -l | tr -d ' '"
expect "steady's observedGeneration stays 1" equals 1 jp pythonlambda/steady '{.status.observedGeneration}'
expect "newcomer has no children yet" equals 0 \
  bash -c "$BIN/kubectl get -n $NS deployments,configmaps,services -l pylambda.dev/lambda=newcomer -o name | wc -l | tr -d ' '"
failed_calls=$(grep -c 'connection refused' "$LOGS/metacontroller.log" || true)
step "  Metacontroller logged $failed_calls refused connections so far"

step "start the webhook again: Metacontroller retries and everything converges"
start_webhook
back=$SECONDS
# Metacontroller retries each object with its own exponential backoff (5 ms doubling, up to
# 1000 s), which the failures of the outage have already grown: measured here from 36 s to over
# 4 minutes for a 10 s outage. The controllers' resyncPeriodSeconds enqueues every object anew
# at each period whatever its backoff, so the bound is two periods (a first resync may still meet
# a transient error, such as "related informer not synced yet") and a margin.
resync=$($BIN/kubectl get compositecontroller pythonlambda-controller -o jsonpath='{.spec.resyncPeriodSeconds}')
[ -n "$resync" ] || fail "the CompositeController has no resyncPeriodSeconds"
CONVERGE=${E2E_CONVERGE_WAIT:-$((2 * resync + 30))}
# One deadline for the whole convergence, counted from the webhook's return.
left() { local l=$((CONVERGE - (SECONDS - back))); echo $((l > 1 ? l : 1)); }
eventually "$(left)" "steady's Deployment mounts a code ConfigMap holding v2" served_code_has steady 'version": 2'
eventually "$(left)" "steady's observedGeneration reaches its generation" \
  equals "$(jp pythonlambda/steady '{.metadata.generation}')" jp pythonlambda/steady '{.status.observedGeneration}'
eventually "$(left)" "newcomer's children appear" equals 3 \
  bash -c "$BIN/kubectl get -n $NS deployments,configmaps,services -l pylambda.dev/lambda=newcomer -o name | wc -l | tr -d ' '"
eventually "$(left)" "newcomer has a Ready condition" condition pythonlambda/newcomer Ready reason
step "  converged $((SECONDS - back))s after the webhook came back"
step "PASS"
