#!/usr/bin/env bash
# The webhook running in the cluster as config/default deploys it (its namespace under the
# restricted Pod Security Standard, ServiceAccount without a token, Deployment, Service,
# PodDisruptionBudget and NetworkPolicy), from an image built here without Docker
# (e2e/webhook-image.sh: trixie's Node.js 20 and this checkout), and Metacontroller calling it
# through its Service: the closest this machine gets to `make deploy`. Metacontroller runs on the
# host here, where the Service's DNS name does not resolve, so the controllers' hooks are pointed
# at the Service's ClusterIP (kube-proxy routes it to the webhook's pods) for the scenario and put
# back afterwards. A lambda then turns Ready and serves, and the in-cluster webhook's own log
# shows the calls.
source "$(dirname "$0")/lib.sh"

SYSTEM=pylambda-system
saved=$(hooks_base)
[[ -n "$saved" ]] || fail "the CompositeController has no hook url to put back"
restore() {
  point_hooks "$saved"
  k delete namespace "$SYSTEM" --wait=false >/dev/null 2>&1
}
trap 'rc=$?; set +e; restore; (exit $rc); cleanup_namespace' EXIT

step "build the webhook image from this checkout and import it into the node"
"$E2E_DIR/webhook-image.sh" | sed 's/^/  /'

step "apply config/default's webhook objects (the CRD, controllers, roles and guard are already in)"
k kustomize "$ROOT/config/default" >"$TMP/default.yaml"
python3 - "$TMP/default.yaml" >"$TMP/webhook.yaml" <<'EOF'
import sys
docs = open(sys.argv[1]).read().split("\n---\n")
wanted = ("kind: Namespace", "kind: ServiceAccount", "kind: Deployment", "kind: Service\n",
          "kind: PodDisruptionBudget", "kind: NetworkPolicy")
print("\n---\n".join(d for d in docs if any(w in d + "\n" for w in wanted)))
EOF
grep '^kind:' "$TMP/webhook.yaml" | sort | uniq -c | sed 's/^/  /'
k apply --server-side --field-manager=pylambda -f "$TMP/webhook.yaml" >/dev/null
k rollout status -n "$SYSTEM" deployment/pylambda-webhook --timeout="${POD_WAIT}s" >"$TMP/rollout.out" 2>&1 ||
  fail "the webhook's pods did not turn ready: $(tail -n 3 "$TMP/rollout.out"); pods: $(NS=$SYSTEM pod_states)"
step "  pods: $(NS=$SYSTEM pod_states)"
expect "the webhook's pods mount no service-account token" equals false \
  k get deployment/pylambda-webhook -n "$SYSTEM" -o jsonpath='{.spec.template.spec.automountServiceAccountToken}'
user=$(k exec -n "$SYSTEM" deployment/pylambda-webhook -- node -e 'console.log(process.getuid())' 2>&1) ||
  fail "kubectl exec into the webhook failed: $user"
[[ "$user" == 10001 ]] || fail "the webhook runs as uid $user, not 10001"

url=$(NS=$SYSTEM service_url pylambda-webhook) || fail "service pylambda-webhook has no kube-proxy rule"
url=${url%/}
out=$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$url/healthz" 2>&1) ||
  fail "GET $url/healthz failed: $out"
step "  GET $url/healthz: $out"

step "point the CompositeController's hooks at the Service ($url)"
point_hooks "$url"
name=incluster
pyl_yaml "$name" 'def handler(event, context):
    return {"served_by": "in-cluster webhook"}' | apply_yaml
k wait -n "$NS" --for=condition=Ready "pyl/$name" --timeout="${POD_WAIT}s" >/dev/null ||
  fail "$name did not turn Ready with the in-cluster webhook: $(condition "pythonlambda/$name" Ready message)"
out=$(call_service "$name" '{}' 2>&1) || fail "calling service/$name failed: $out"
[[ "$out" == *'in-cluster webhook'* ]] || fail "unexpected answer: $out"
step "  $out"
calls=$(k logs -n "$SYSTEM" -l app.kubernetes.io/name=pylambda-webhook --tail=-1 | grep -c "$NS" || true)
((calls > 0)) || fail "the in-cluster webhook's log shows no call for namespace $NS"
step "  the in-cluster webhook logged $calls lines about $NS"
step "PASS"
