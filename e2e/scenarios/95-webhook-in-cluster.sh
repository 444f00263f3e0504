#!/usr/bin/env bash
# The webhook running in the cluster as config/default deploys it (its namespace under the
# restricted Pod Security Standard, ServiceAccount without a token, Deployment, Service,
# PodDisruptionBudget and NetworkPolicy, and the certificate job with its rights), from an image
# built here without Docker (e2e/webhook-image.sh: trixie's Node.js 20 and this checkout), and
# Metacontroller calling it over HTTPS through its Service: the closest this machine gets to
# `make deploy`. The certificate job (config/certs) issues the webhook's certificate and puts its
# CA into the controllers' hooks; a second run changes nothing. Metacontroller runs on the host
# here, where the Service's DNS name does not resolve, so the hooks are pointed at the Service's
# ClusterIP (which the job puts into the certificate) for the scenario and put back afterwards.
# A lambda then turns Ready and serves: Metacontroller verified the webhook's certificate against
# the published CA. The in-cluster webhook's own log shows the calls.
source "$(dirname "$0")/lib.sh"

SYSTEM=pylambda-system
saved=$(hooks_base)
[[ -n "$saved" ]] || fail "the CompositeController has no hook url to put back"
DECORATOR=decoratorcontroller/pylambda-deployment-decorator
saved_composite=$(k get "$COMPOSITE" -o jsonpath='{.spec.hooks}')
saved_decorator=$(k get "$DECORATOR" -o jsonpath='{.spec.hooks}')
restore() {
  # The hooks as they were, without the CA the job added.
  k patch "$COMPOSITE" --type=json -p "[{\"op\": \"replace\", \"path\": \"/spec/hooks\", \"value\": $saved_composite}]" >/dev/null
  k patch "$DECORATOR" --type=json -p "[{\"op\": \"replace\", \"path\": \"/spec/hooks\", \"value\": $saved_decorator}]" >/dev/null
  k annotate "$COMPOSITE" "$DECORATOR" pylambda.dev/hook-token- >/dev/null 2>&1
  k delete clusterrole,clusterrolebinding pylambda-certs metacontroller-read-secrets --ignore-not-found >/dev/null 2>&1
  k delete namespace "$SYSTEM" --wait=false >/dev/null 2>&1
}
trap 'rc=$?; set +e; restore; (exit $rc); cleanup_namespace' EXIT

step "build the webhook image from this checkout and import it into the node"
"$E2E_DIR/webhook-image.sh" | sed 's/^/  /'

step "apply config/default's webhook and certificate objects (the CRD, controllers, users' roles and guard are already in)"
# install_objects RENDERED: the webhook's and the certificate job's objects of a rendering.
install_objects() {
  python3 - "$1" <<'EOF'
import sys
docs = open(sys.argv[1]).read().split("\n---\n")
wanted = ("kind: Namespace", "kind: ServiceAccount", "kind: Deployment", "kind: Service\n",
          "kind: PodDisruptionBudget", "kind: NetworkPolicy", "kind: Role\n", "kind: RoleBinding",
          "kind: ClusterRoleBinding", "kind: Job", "kind: CronJob")
# Of the ClusterRoles only the job's: the users' roles are in already.
# hook-token's Secret reading for Metacontroller is a ClusterRole too.
job_role = lambda d: "kind: ClusterRole\n" in d + "\n" and ("name: pylambda-certs" in d or "name: metacontroller-read-secrets" in d)
print("\n---\n".join(d for d in docs if any(w in d + "\n" for w in wanted) or job_role(d)))
EOF
}
k kustomize "$ROOT/config/default" >"$TMP/default.yaml"
install_objects "$TMP/default.yaml" >"$TMP/webhook.yaml"
grep '^kind:' "$TMP/webhook.yaml" | sort | uniq -c | sed 's/^/  /'
k apply --server-side --field-manager=pylambda -f "$TMP/webhook.yaml" >/dev/null
k wait -n "$SYSTEM" job/pylambda-webhook-certs --for=condition=Complete --timeout="${POD_WAIT}s" >/dev/null ||
  fail "the certificate job did not complete: $(k logs -n "$SYSTEM" job/pylambda-webhook-certs --tail=5 2>&1); pods: $(NS=$SYSTEM pod_states)"
step "  certificate job: $(k logs -n "$SYSTEM" job/pylambda-webhook-certs | python3 -c 'import json, sys; print("; ".join(json.loads(l)["msg"] for l in sys.stdin if l.startswith("{")))')"
k rollout status -n "$SYSTEM" deployment/pylambda-webhook --timeout="${POD_WAIT}s" >"$TMP/rollout.out" 2>&1 ||
  fail "the webhook's pods did not turn ready: $(tail -n 3 "$TMP/rollout.out"); pods: $(NS=$SYSTEM pod_states)"
step "  pods: $(NS=$SYSTEM pod_states)"

step "the certificate names the Service, and every hook trusts its CA"
cluster_ip=$(k get service/pylambda-webhook -n "$SYSTEM" -o jsonpath='{.spec.clusterIP}')
k get secret/pylambda-webhook-tls -n "$SYSTEM" -o jsonpath='{.data.tls\.crt}' | base64 -d >"$TMP/tls.crt"
k get secret/pylambda-webhook-tls -n "$SYSTEM" -o jsonpath='{.data.ca\.crt}' | base64 -d >"$TMP/ca.crt"
sans=$(openssl x509 -in "$TMP/tls.crt" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
step "  subjectAltName: $sans"
[[ "$sans" == *"DNS:pylambda-webhook.pylambda-system,"* && "$sans" == *"IPAddress:$cluster_ip"* ]] ||
  fail "the certificate does not name pylambda-webhook.pylambda-system and $cluster_ip: $sans"
openssl verify -CAfile "$TMP/ca.crt" "$TMP/tls.crt" >/dev/null || fail "ca.crt did not issue tls.crt"
for controller in "$COMPOSITE" "$DECORATOR"; do
  for hook in $(k get "$controller" -o go-template='{{range $k, $v := .spec.hooks}}{{$k}} {{end}}'); do
    k get "$controller" -o jsonpath="{.spec.hooks.$hook.webhook.caBundle.inline}" >"$TMP/inline.pem"
    cmp -s "$TMP/inline.pem" "$TMP/ca.crt" || fail "$controller hook $hook does not trust ca.crt"
  done
done
secrets_before=$(k get secrets -n "$SYSTEM" -o go-template='{{range .items}}{{.metadata.name}}@{{.metadata.resourceVersion}} {{end}}')

step "the certificate job's rights: its own Secrets and the two controllers, nothing else"
as_certs=(--as="system:serviceaccount:$SYSTEM:pylambda-certs")
expect "the job may update its Secret" equals yes k auth can-i update secret/pylambda-webhook-tls -n "$SYSTEM" "${as_certs[@]}"
for refused in "get secret/another -n $SYSTEM" "list secrets -n $SYSTEM" "get secrets -n default" \
  "patch compositecontroller/another" "delete secret/pylambda-webhook-tls -n $SYSTEM"; do
  # shellcheck disable=SC2086 # the words of the request
  answer=$(k auth can-i $refused "${as_certs[@]}" 2>/dev/null || true)
  [[ "$answer" == no ]] || fail "the certificate job may $refused ($answer)"
done
expect "the webhook's pods mount no service-account token" equals false \
  k get deployment/pylambda-webhook -n "$SYSTEM" -o jsonpath='{.spec.template.spec.automountServiceAccountToken}'
user=$(k exec -n "$SYSTEM" deployment/pylambda-webhook -- node -e 'console.log(process.getuid())' 2>&1) ||
  fail "kubectl exec into the webhook failed: $user"
[[ "$user" == 10001 ]] || fail "the webhook runs as uid $user, not 10001"

url=$(NS=$SYSTEM service_url pylambda-webhook) || fail "service pylambda-webhook has no kube-proxy rule"
url=${url%/}
url=https://${url#http://}
get_https() {
  python3 - "$@" <<'PYEOF'
import ssl, sys, urllib.request
url, ca = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
context = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
print(urllib.request.urlopen(url, timeout=10, context=context).read().decode())
PYEOF
}
out=$(get_https "$url/healthz" "$TMP/ca.crt" 2>&1) || fail "GET $url/healthz trusting ca.crt failed: $out"
step "  GET $url/healthz, trusting ca.crt: $out"
if out=$(get_https "$url/healthz" 2>&1); then fail "a client that does not trust ca.crt got an answer: $out"; fi
step "  without ca.crt: refused ($(tail -n 1 <<<"$out" | cut -c1-120))"
if out=$(python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)' "http://${url#https://}/healthz" 2>&1); then
  fail "plain HTTP got an answer: $out"
fi

step "point the CompositeController's hooks at the Service ($url); they keep the CA the job put in"
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
tls_logged=$(k logs -n "$SYSTEM" -l app.kubernetes.io/name=pylambda-webhook --tail=-1 | grep -c '"tls":true' || true)
((tls_logged > 0)) || fail "the in-cluster webhook did not log that it serves TLS"

step "run the certificate job again (as the daily CronJob does): it changes nothing"
k create job -n "$SYSTEM" --from=cronjob/pylambda-webhook-certs rerun >/dev/null
k wait -n "$SYSTEM" job/rerun --for=condition=Complete --timeout="${POD_WAIT}s" >/dev/null ||
  fail "the second run did not complete: $(k logs -n "$SYSTEM" job/rerun --tail=5 2>&1)"
secrets_after=$(k get secrets -n "$SYSTEM" -o go-template='{{range .items}}{{.metadata.name}}@{{.metadata.resourceVersion}} {{end}}')
[[ "$secrets_after" == "$secrets_before" ]] || fail "the second run changed Secrets: $secrets_before -> $secrets_after"
step "  Secrets unchanged: $secrets_after"

step "config/components/hook-token: the job makes a token, Metacontroller sends it, the webhook asks for it"
# kustomize takes relative paths only: the overlay lives inside the checkout, in the run's state.
overlay="$RUN/overlay-hook-token"
mkdir -p "$overlay"
printf 'resources: [%s]\ncomponents: [%s]\n' "$(realpath --relative-to="$overlay" "$ROOT/config/default")" \
  "$(realpath --relative-to="$overlay" "$ROOT/config/components/hook-token")" >"$overlay/kustomization.yaml"
k kustomize "$overlay" >"$TMP/token.yaml"
install_objects "$TMP/token.yaml" >"$TMP/token-install.yaml"
# The hooks as the component renders them (their URLs stay the Service's ClusterIP, as above),
# changed first, as one `kubectl apply` would do it: Metacontroller cannot read the token yet, so
# the controller fails to start and waits in its backoff until the job makes the token.
python3 - "$TMP/token.yaml" >"$TMP/composite.yaml" <<'EOF'
import sys
print(next(d for d in open(sys.argv[1]).read().split("\n---\n") if "kind: CompositeController" in d))
EOF
auth=$(k create --dry-run=client -f "$TMP/composite.yaml" -o jsonpath='{.spec.hooks.sync.webhook.authorization}')
[[ -n "$auth" ]] || fail "the rendered CompositeController has no authorization naming pylambda-webhook-token"
k patch "$COMPOSITE" --type=json -p "[
  {\"op\": \"add\", \"path\": \"/spec/hooks/sync/webhook/authorization\", \"value\": $auth},
  {\"op\": \"add\", \"path\": \"/spec/hooks/customize/webhook/authorization\", \"value\": $auth}]" >/dev/null
# A Job's template cannot change: the new arguments come with a new Job (as `make deploy` does it).
k delete job -n "$SYSTEM" pylambda-webhook-certs rerun --wait >/dev/null
k apply --server-side --field-manager=pylambda -f "$TMP/token-install.yaml" >/dev/null
k wait -n "$SYSTEM" job/pylambda-webhook-certs --for=condition=Complete --timeout="${POD_WAIT}s" >/dev/null ||
  fail "the certificate job with --token-secret did not complete: $(k logs -n "$SYSTEM" job/pylambda-webhook-certs --tail=5 2>&1)"
token=$(k get secret/pylambda-webhook-token -n "$SYSTEM" -o jsonpath='{.data.token}' | base64 -d)
[[ "$token" =~ ^[0-9a-f]{64}$ ]] || fail "the job made no 64-hex-digit token: ${#token} characters"
touched=$(k get "$COMPOSITE" -o jsonpath='{.metadata.annotations.pylambda\.dev/hook-token}')
[[ "$touched" =~ ^[0-9a-f]{16}$ ]] || fail "the job did not touch the CompositeController after making the token ($touched)"
k rollout status -n "$SYSTEM" deployment/pylambda-webhook --timeout="${POD_WAIT}s" >"$TMP/rollout.out" 2>&1 ||
  fail "the webhook with the token did not roll out: $(tail -n 3 "$TMP/rollout.out")"
# The old pods leave the Service's endpoints a few seconds after the rollout (their shutdown delay).
unauthenticated_status() {
  python3 - "$url/hooks/pythonlambda/sync" "$TMP/ca.crt" <<'EOF'
import ssl, sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1], data=b"{}", headers={"Content-Type": "application/json"})
try:
    urllib.request.urlopen(request, timeout=10, context=ssl.create_default_context(cafile=sys.argv[2]))
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)
EOF
}
refused_twice() { [[ "$(unauthenticated_status)" == 401 && "$(unauthenticated_status)" == 401 ]]; }
eventually "$SHORT" "a hook call without the token gets 401 (last: $(unauthenticated_status))" refused_twice
step "  a hook call without the token: 401"
pyl_yaml "$name" 'def handler(event, context):
    return {"served_by": "in-cluster webhook, with the token"}' | apply_yaml
serves_new_code() { [[ "$(call_service "$name" '{}')" == *"with the token"* ]]; }
eventually "$POD_WAIT" "$name serves the code applied after the token (Metacontroller sends it)" serves_new_code
step "  $(call_service "$name" '{}')"
step "PASS"
