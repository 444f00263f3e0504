#!/usr/bin/env bash
# The manifests `make deploy` installs (config/default) are valid for a real API server:
# applied with --dry-run=server (the namespaces they need are created for real, then removed).
source "$(dirname "$0")/lib.sh"

if [[ ! -f "$ROOT/config/default/kustomization.yaml" ]]; then
  step "SKIP: config/default does not exist yet"
  exit 77
fi
k kustomize "$ROOT/config/default" >"$TMP/default.yaml" || fail "kubectl kustomize config/default failed"
step "config/default renders $(grep -c '^kind:' "$TMP/default.yaml") objects: $(grep '^kind:' "$TMP/default.yaml" | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}')"
# Namespaced objects can only be dry-run into a namespace that exists.
created=()
for ns in $(python3 - "$TMP/default.yaml" <<'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
names = set(re.findall(r"^  namespace: (\S+)$", text, re.M))
print(" ".join(sorted(names)))
PYEOF
); do
  if ! k get namespace "$ns" >/dev/null 2>&1; then
    k create namespace "$ns" >/dev/null
    created+=("$ns")
  fi
done
# The cluster's CRD, controllers and takeover guard came from config/local under another field
# manager; a conflict over who owns a field (the policy's atomic matchConstraints, once defaulted)
# says nothing about whether the API server accepts the object, so the dry run takes them over.
out=$(k apply --dry-run=server --server-side --force-conflicts --field-manager=e2e-dry-run -f "$TMP/default.yaml" 2>&1) || {
  for ns in "${created[@]}"; do k delete namespace "$ns" --wait=false >/dev/null; done
  fail "the API server refused config/default: $out"
}
for ns in "${created[@]}"; do k delete namespace "$ns" --wait=false >/dev/null; done
sed 's/^/  /' <<<"$out"
step "PASS"
