#!/usr/bin/env bash
# The two ways a pod gets the runtime (PYLAMBDA_RUNTIME_DELIVERY), on real pods, and what the
# default costs at pod start:
# - init-container (the cluster's webhook): the `runtime` init container, from the runtime image
#   and under the restricted Pod Security Standard, copies the package into an emptyDir that the
#   lambda container mounts read-only;
# - image-volume (a second webhook process): the runtime image itself is mounted read-only
#   (volumes[].image, subPath pylambda), with no init container.
# Each lambda is scaled 0 -> 1 a few times; the time from `kubectl scale` to a Ready pod is
# measured by polling, and the medians are printed: their difference is what the copy adds.
source "$(dirname "$0")/lib.sh"

ROUNDS=${E2E_START_ROUNDS:-3}
cluster_url=$(hooks_base)
extra_pid=
trap 'rc=$?; set +e; point_hooks "$cluster_url"; [[ -z "$extra_pid" ]] || kill "$extra_pid" 2>/dev/null; (exit $rc); cleanup_namespace' EXIT

# start_seconds NAME: seconds from scaling NAME to 1 to its first Ready pod (NAME at 0 before).
start_seconds() {
  python3 - "$BIN/kubectl" "$NS" "$1" "$POD_WAIT" <<'PY'
import json, subprocess, sys, time
kubectl, ns, name, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
def pods():
    out = subprocess.run([kubectl, "get", "pods", "-n", ns, "-l", f"pylambda.dev/lambda={name}", "-o", "json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["items"]
start = time.monotonic()
subprocess.run([kubectl, "scale", "-n", ns, f"pythonlambda/{name}", "--replicas=1"], check=True, capture_output=True)
while time.monotonic() - start < limit:
    for pod in pods():
        if any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", [])):
            print(f"{time.monotonic() - start:.2f}")
            sys.exit(0)
    time.sleep(0.05)
sys.exit(f"no Ready pod of {name} within {limit}s")
PY
}
scale_to_zero() {
  k scale -n "$NS" "pythonlambda/$1" --replicas=0 >/dev/null
  eventually "$POD_WAIT" "no pod of $1 is left" equals "" bash -c "$BIN/kubectl get pods -n $NS -l pylambda.dev/lambda=$1 -o name"
}
# measure NAME: the median of ROUNDS start times of NAME.
measure() {
  local times=() i t
  for ((i = 0; i < ROUNDS; i++)); do
    scale_to_zero "$1"
    t=$(start_seconds "$1") || fail "$1 did not start: $t"
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
runtime_files() {
  local pod
  pod=$(ready_pod "pylambda.dev/lambda=$1")
  k exec -n "$NS" "$pod" -c lambda -- python -c 'import os, pylambda_runtime as r; d = os.path.dirname(r.__file__); print(r.__version__, len(os.listdir(d)), os.access(d, os.W_OK))'
}
CODE='def handler(event, context):
    return {"ok": True}'

step "init-container delivery (the cluster's webhook)"
create_ready copied "$CODE"
expect "the pod's init containers: the runtime copy" equals runtime \
  jp deployment/copied '{.spec.template.spec.initContainers[*].name}'
files=$(runtime_files copied) || fail "cannot look into the pod: $files"
step "  in the lambda container: version, files, writable = $files"
[[ "$files" == *" False" ]] || fail "the runtime directory is writable in the lambda container: $files"
copied=$(measure copied) || fail "measuring the start of copied failed: $copied"
step "  scale 0 -> 1 to Ready, median of $ROUNDS: ${copied}s"
k delete -n "$NS" pyl/copied --wait=false >/dev/null

step "image-volume delivery (a second webhook with PYLAMBDA_RUNTIME_DELIVERY=image-volume)"
start_extra_webhook "$LOGS/webhook-image-volume.log" PYLAMBDA_RUNTIME_DELIVERY=image-volume
point_hooks "$extra_url"
create_ready mounted "$CODE"
expect "no init container" equals "" jp deployment/mounted '{.spec.template.spec.initContainers}'
expect "the runtime volume is the runtime image" equals "pylambda-runtime:$(node -p "require('$ROOT/package.json').version")" \
  jp deployment/mounted '{.spec.template.spec.volumes[?(@.name=="runtime")].image.reference}'
files=$(runtime_files mounted) || fail "cannot look into the pod: $files"
step "  in the lambda container: version, files, writable = $files"
[[ "$files" == *" False" ]] || fail "the mounted runtime image is writable: $files"
expect "it serves" equals '{"body": {"ok": true}, "status": 200}' call_service mounted '{}'
mounted=$(measure mounted) || fail "measuring the start of mounted failed: $mounted"
step "  scale 0 -> 1 to Ready, median of $ROUNDS: ${mounted}s"
step "  the runtime init container adds $(python3 -c "print(f'{float(\"$copied\") - float(\"$mounted\"):.2f}')")s to a pod's start (init-container ${copied}s, image-volume ${mounted}s)"
step "PASS"
