#!/usr/bin/env bash
# The CRD refuses specs it should refuse, at `kubectl apply`, with a message that names the field.
source "$(dirname "$0")/lib.sh"

code='def handler(event, context):
    return "ok"'

# refused DESCRIPTION FIELD-IN-MESSAGE EXTRA-SPEC-YAML
refused() {
  local what=$1 field=$2 extra=$3 out
  if out=$(pyl_yaml bad "$code" "$extra" | k apply -n "$NS" --server-side -f - 2>&1); then
    k delete -n "$NS" pyl/bad --wait=false >/dev/null 2>&1 || true
    fail "the API server accepted $what"
  fi
  grep -q "$field" <<<"$out" || fail "refusing $what, the message does not name $field: $out"
  step "  refused $what: $(tr '\n' ' ' <<<"$out" | cut -c1-220)"
}

step "specs the CRD must refuse"
refused "a handler that is not module.function" "spec.handler" 'handler: "not a handler"'
refused "an unknown runtime" "spec.runtime" 'runtime: "2.7"'
refused "a negative replica count" "spec.replicas" 'replicas: -1'
refused "a privileged port" "spec.port" 'port: 80'
refused "a zero timeout" "spec.timeoutSeconds" 'timeoutSeconds: 0'
refused "files holding main.py" "spec.files" 'files:
  main.py: "x = 1"'
refused "a file path leaving the code directory" "spec.files" 'files:
  ../evil.py: "x = 1"'
if out=$(printf 'apiVersion: pylambda.dev/v1alpha1\nkind: PythonLambda\nmetadata:\n  name: nocode\nspec:\n  handler: main.handler\n' |
  k apply -n "$NS" --server-side -f - 2>&1); then
  fail "the API server accepted a spec without code"
fi
grep -q "spec.code" <<<"$out" || fail "refusing a spec without code, the message does not name spec.code: $out"
step "  refused a spec without code: $(tr '\n' ' ' <<<"$out" | cut -c1-220)"
[[ -z "$(k get pyl -n "$NS" -o name)" ]] || fail "a refused PythonLambda exists: $(k get pyl -n "$NS" -o name)"

step "and a good one is accepted"
pyl_yaml good "$code" 'runtime: "3.12"
replicas: 2
port: 8080' | apply_yaml || fail "a valid spec was refused"
step "PASS"
