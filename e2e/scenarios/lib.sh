# Sourced by every scenario: kubectl against the running e2e cluster, a namespace of its own,
# bounded polling, and failure output that shows the Metacontroller and webhook logs.
# shellcheck shell=bash
set -euo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

[[ -f "$RUN/ports.env" ]] || die "no e2e cluster is running (make cluster-up)"
# shellcheck disable=SC1091
source "$RUN/ports.env"
export KUBECONFIG="$RUN/kubeconfig"
SCENARIO=$(basename "$0" .sh)
SCENARIO_DIR="$(cd "$(dirname "$0")" && pwd)"
# The webhook's log lines written during this scenario start after this line.
WEBHOOK_LOG_START=$(($(wc -l <"$LOGS/webhook.log" 2>/dev/null || echo 0) + 1))
MC_LOG_START=$(($(wc -l <"$LOGS/metacontroller.log" 2>/dev/null || echo 0) + 1))

k() { "$BIN/kubectl" "$@"; }

step() { printf '[%s %s] %s\n' "$SCENARIO" "$(date +%H:%M:%S)" "$*"; }

# dump: what a person needs to see why a scenario failed.
dump() {
  {
    echo "---- objects in namespace ${NS:-?}"
    k get pythonlambdas,deployments,replicasets,configmaps,services -n "${NS:-default}" -o wide 2>&1 || true
    echo "---- PythonLambdas (yaml, code elided)"
    k get pythonlambdas -n "${NS:-default}" -o yaml 2>&1 | grep -v '^      ' | tail -n 80 || true
    echo "---- events"
    k get events -n "${NS:-default}" --sort-by=.lastTimestamp 2>&1 | tail -n 20 || true
    echo "---- metacontroller.log since the scenario began (last 40 lines, stack traces cut)"
    tail -n "+$MC_LOG_START" "$LOGS/metacontroller.log" 2>/dev/null | sed 's/,"stacktrace":.*/}/' | cut -c1-600 | tail -n 40 || true
    echo "---- webhook.log since the scenario began (last 40 lines)"
    tail -n "+$WEBHOOK_LOG_START" "$LOGS/webhook.log" 2>/dev/null | cut -c1-600 | tail -n 40 || true
  } >&2
}

fail() {
  printf '[%s %s] FAIL: %s\n' "$SCENARIO" "$(date +%H:%M:%S)" "$*" >&2
  dump
  exit 1
}

# eventually SECONDS DESCRIPTION COMMAND...: poll COMMAND every second until it succeeds;
# on timeout fail with DESCRIPTION and the command's last output.
eventually() {
  local limit=$1 what=$2 start=$SECONDS out
  shift 2
  until out=$("$@" 2>&1); do
    if ((SECONDS - start >= limit)); then
      fail "after ${limit}s: $what (last output: ${out:0:2000})"
    fi
    sleep 1
  done
}

# jp KIND/NAME JSONPATH: one field of an object in $NS ('' when absent).
jp() { k get -n "$NS" "$1" -o "jsonpath=$2" 2>/dev/null; }

# equals WANT COMMAND...: the command's output is exactly WANT (for eventually).
equals() {
  local want=$1 got
  shift
  got=$("$@") || return 1
  [[ "$got" == "$want" ]] || {
    echo "got '$got', want '$want'"
    return 1
  }
}

# differs OLD COMMAND...: the command's output is non-empty and not OLD (for eventually).
differs() {
  local old=$1 got
  shift
  got=$("$@") || return 1
  [[ -n "$got" && "$got" != "$old" ]] || {
    echo "still '$got'"
    return 1
  }
}

absent() { ! k get -n "$NS" "$1" >/dev/null 2>&1; }
present() { k get -n "$NS" "$1" >/dev/null 2>&1; }

expect() {
  local what=$1
  shift
  "$@" || fail "$what"
}

# A namespace of the scenario's own, deleted at the end (failures keep it for a look when
# E2E_KEEP_NAMESPACES=1), and a temporary directory $TMP.
NS="e2e-${SCENARIO#[0-9]*-}-$(printf %04x $RANDOM)"
NS=${NS:0:63}
k create namespace "$NS" >/dev/null
# Pods here must meet the restricted Pod Security Standard: the API server refuses any other.
k label namespace "$NS" pod-security.kubernetes.io/enforce=restricted >/dev/null
TMP=$(mktemp -d)
cleanup_namespace() {
  local rc=$?
  rm -rf "$TMP"
  if ((rc != 0)) && [[ -n "${E2E_KEEP_NAMESPACES:-}" ]]; then
    step "keeping namespace $NS for a look"
  else
    k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  fi
  return $rc
}
trap cleanup_namespace EXIT

# Bounded waits (seconds) for things the controllers should do promptly.
SHORT=${E2E_SHORT_WAIT:-60}

# Run the scenario's own lambda: `pylambda_apply <<EOF ... EOF` applies YAML in $NS (server-side,
# so large code is not copied into a last-applied annotation).
apply_yaml() { k apply -n "$NS" --server-side --force-conflicts --field-manager=e2e -f - >/dev/null; }

# A small PythonLambda: pyl_yaml NAME CODE [EXTRA-SPEC-YAML]
pyl_yaml() {
  local name=$1 code=$2 extra=${3:-}
  printf 'apiVersion: pylambda.dev/v1alpha1\nkind: PythonLambda\nmetadata:\n  name: %s\nspec:\n  code: |\n' "$name"
  printf '%s\n' "$code" | sed 's/^/    /'
  [[ -z "$extra" ]] || printf '%s\n' "$extra" | sed 's/^/  /'
}

# code_configmap NAME: the code ConfigMap that the Deployment of PythonLambda NAME mounts. It is
# named after the code (<name>-code-<first 10 of the code hash>) and immutable: new code comes in
# a new ConfigMap, and the old one goes once the rollout is done.
code_configmap() { jp "deployment/$1" '{.spec.template.spec.volumes[?(@.name=="code")].configMap.name}'; }

# code_configmaps NAME: every code ConfigMap of PythonLambda NAME (configmap/..., one a line).
code_configmaps() { k get -n "$NS" configmaps -l "pylambda.dev/lambda=$1,app.kubernetes.io/component=code" -o name; }

# served_code NAME: main.py in the code ConfigMap that the Deployment of NAME mounts.
served_code() {
  local cm
  cm=$(code_configmap "$1") && [[ -n "$cm" ]] && jp "configmap/$cm" '{.data.main\.py}'
}

# served_code_has NAME TEXT: served_code NAME contains TEXT (for eventually and expect).
served_code_has() {
  local code
  code=$(served_code "$1") || return 1
  grep -qF -- "$2" <<<"$code" || {
    echo "the served main.py of $1 does not contain '$2': ${code:0:200}"
    return 1
  }
}

# owner_uid KIND/NAME: the uid of the object's controller owner ('' when none).
owner_uid() { jp "$1" '{.metadata.ownerReferences[?(@.controller==true)].uid}'; }

# condition KIND/NAME TYPE FIELD: a condition's status, reason or message.
condition() { jp "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }

# Pods really run on the e2e node; these wait for the kubelet's readiness (bounded).
POD_WAIT=${E2E_POD_WAIT:-120}

# wait_pods_ready DEPLOYMENT: the Deployment's rollout is complete: all its pods run the current
# template and are Ready (the kubelet's readiness probe passed).
wait_pods_ready() {
  k rollout status -n "$NS" "deployment/$1" --timeout="${POD_WAIT}s" >"$TMP/rollout.out" 2>&1 ||
    fail "the pods of deployment/$1 did not all turn Ready in ${POD_WAIT}s: $(tail -n 3 "$TMP/rollout.out"); pods: $(pod_states)"
}

# pod_states: every pod of $NS with its phase and waiting reasons (for failure messages).
pod_states() {
  k get pods -n "$NS" -o go-template='{{range .items}}{{.metadata.name}}={{.status.phase}}{{range .status.initContainerStatuses}}{{if .state.waiting}}/init:{{.state.waiting.reason}}{{end}}{{end}}{{range .status.containerStatuses}}{{if .state.waiting}}/{{.state.waiting.reason}}{{end}}{{if .ready}}/ready{{end}}{{end}} {{end}}' 2>&1
}

# wait_pods_mounting_ready CONFIGMAP: at least one live pod mounts code ConfigMap CONFIGMAP and every
# such pod is Ready. A kubelet can mount only what exists: when CONFIGMAP is absent the pods would
# stay ContainerCreating (FailedMount), so that fails at once, naming it.
wait_pods_mounting_ready() {
  absent "configmap/$1" && fail "pods mounting configmap/$1 cannot start: it does not exist (FailedMount)"
  eventually "$POD_WAIT" "the pods mounting configmap/$1 are Ready" all_ready_mounting "$1"
}
all_ready_mounting() {
  local all ready
  all=$(count_pods_mounting "$1") ready=$(count_pods_mounting "$1" ready)
  ((all > 0 && ready == all)) || {
    echo "$ready of $all pods mounting $1 are Ready: $(pod_states)"
    return 1
  }
}

# ready_pod SELECTOR: the name of a Ready, live pod matching the label SELECTOR in $NS.
ready_pod() {
  # Not `| head -n1`: under pipefail, kubectl killed by SIGPIPE after the first name (two ready
  # pods, written in two writes) fails the scenario with exit 141.
  local pods
  pods=$(k get pods -n "$NS" -l "$1" -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{$n := .metadata.name}}{{range .status.conditions}}{{if and (eq .type "Ready") (eq .status "True")}}{{$n}}{{"\n"}}{{end}}{{end}}{{end}}{{end}}')
  printf '%s\n' "${pods%%$'\n'*}"
}

# call_pod POD BODY [PATH]: POST BODY (JSON) to the lambda container of POD at its pod IP and port
# (a pod this run started, on the node's bridge); prints {"status": ..., "body": ...}.
call_pod() {
  local pod=$1 ip port
  ip=$(jp "pod/$pod" '{.status.podIP}')
  port=$(jp "pod/$pod" '{.spec.containers[0].ports[0].containerPort}')
  [[ $ip == 10.244.* && -n $port ]] || fail "pod/$pod has no pod IP on the node's bridge or no port (ip '$ip', port '$port')"
  python3 "$SCENARIO_DIR/call.py" "http://$ip:$port${3:-/}" "$2"
}

# call_service SERVICE BODY: POST BODY to the Service's ClusterIP, once kube-proxy's rule for it
# exists (so the packet is rewritten to a local pod IP before it could leave).
call_service() {
  local url
  url=$(service_url "$1") || return 1
  python3 "$SCENARIO_DIR/call.py" "$url" "$2"
}

# service_url SERVICE: http://CLUSTER-IP:PORT/ of SERVICE in $NS, once kube-proxy has its rule.
service_url() {
  local ip port
  ip=$(jp "service/$1" '{.spec.clusterIP}')
  port=$(jp "service/$1" '{.spec.ports[0].port}')
  eventually "$SHORT" "kube-proxy has a rule for service $NS/$1 ($ip:$port)" \
    bash -c "nft list map ip kube-proxy service-ips | grep -qF '$ip . tcp . $port :'" >&2
  echo "http://$ip:$port/"
}

# ready_false_matching NAME REGEX: PythonLambda NAME is Ready=False with a message matching REGEX.
ready_false_matching() {
  local status message
  status=$(condition "pythonlambda/$1" Ready status) message=$(condition "pythonlambda/$1" Ready message)
  [[ "$status" == False && "$message" =~ $2 ]] || {
    echo "Ready: $status $message"
    return 1
  }
}

# create_ready NAME CODE [EXTRA]: create PythonLambda NAME and wait until its pods and it are Ready.
create_ready() {
  pyl_yaml "$@" | apply_yaml
  eventually "$SHORT" "Deployment $1 appears" jp "deployment/$1" '{.metadata.uid}'
  wait_pods_ready "$1"
  k wait -n "$NS" --for=condition=Ready "pyl/$1" --timeout="${SHORT}s" >/dev/null || fail "$1 never became Ready"
}

# start_load URL LOAD.PY-OPTIONS...: call URL in the background (load.py) into $calls until
# stop_load; the EXIT trap stops it too, so no loop outlives the scenario.
start_load() {
  calls=$TMP/calls stop=$TMP/stop
  python3 "$SCENARIO_DIR/load.py" "$1" "$calls" "$stop" "${@:2}" &
  loader=$!
  trap 'rc=$?; set +e; touch "$stop"; wait $loader 2>/dev/null; (exit $rc); cleanup_namespace' EXIT
}
stop_load() {
  touch "$stop"
  wait "$loader" || fail "the load generator failed"
}

# pods_mounting CONFIGMAP: the live pods (not being deleted) whose code volume is CONFIGMAP.
pods_mounting() {
  k get pods -n "$NS" -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{$pod := .metadata.name}}{{range .spec.volumes}}{{if .configMap}}{{if eq .configMap.name "'"$1"'"}}{{$pod}} {{end}}{{end}}{{end}}{{end}}{{end}}'
}

# count_pods_mounting CONFIGMAP [READY]: how many live pods mount CONFIGMAP (only ready ones if READY=ready).
count_pods_mounting() {
  local n=0 pod
  for pod in $(pods_mounting "$1"); do
    if [[ "${2:-}" == ready ]]; then
      [[ "$(jp "pod/$pod" '{.status.conditions[?(@.type=="Ready")].status}')" == True ]] || continue
    fi
    n=$((n + 1))
  done
  echo "$n"
}

# The CompositeController's hooks, pointed at another webhook for a scenario and back (95-97):
# hooks_base: the base URL they call now; point_hooks BASE: sync and customize at BASE.
COMPOSITE=compositecontroller/pythonlambda-controller
hooks_base() {
  local url
  url=$(k get "$COMPOSITE" -o jsonpath='{.spec.hooks.sync.webhook.url}')
  echo "${url%/hooks/pythonlambda/sync}"
}
point_hooks() {
  k patch "$COMPOSITE" --type=json -p "[
    {\"op\": \"replace\", \"path\": \"/spec/hooks/sync/webhook/url\", \"value\": \"$1/hooks/pythonlambda/sync\"},
    {\"op\": \"replace\", \"path\": \"/spec/hooks/customize/webhook/url\", \"value\": \"$1/hooks/pythonlambda/customize\"}]" >/dev/null
}

# start_extra_webhook LOG [VAR=VALUE...]: another webhook process (this checkout's build) on a free
# port of 127.0.0.1, with the cluster's apply strategy and the given settings; sets extra_url and
# extra_pid (the scenario's EXIT trap must kill it) and waits for its /readyz.
start_extra_webhook() {
  local log=$1 port
  shift
  port=$(free_ports 1)
  (cd "$ROOT" && exec env PORT="$port" HOST=127.0.0.1 PYLAMBDA_APPLY_STRATEGY="${APPLY_STRATEGY:-server-side-apply}" \
    "$@" node dist/src/server.js >"$log" 2>&1) &
  extra_pid=$!
  extra_url="http://127.0.0.1:$port"
  eventually "$SHORT" "the webhook at $extra_url answers /readyz" python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$extra_url/readyz"
}

# sync_answers LOG NAME: how many sync calls for PythonLambda NAME of $NS the webhook writing LOG answered.
sync_answers() { grep -c "\"hook\":\"pythonlambda/sync\",\"namespace\":\"$NS\",\"name\":\"$2\"" "$1" || true; }
answered_more() { (($(sync_answers "$1" "$2") > $3)); }

# answered_by LOG NAME...: poke each PythonLambda (an annotation, so Metacontroller syncs it) and
# wait until the webhook writing LOG has answered a sync for it.
answered_by() {
  local log=$1 name before
  shift
  for name in "$@"; do
    before=$(sync_answers "$log" "$name")
    k annotate -n "$NS" "pyl/$name" --overwrite "e2e.pylambda.dev/poke=$RANDOM$SECONDS" >/dev/null
    eventually "$SHORT" "the webhook logging to ${log#"$ROOT"/} answers for $name" answered_more "$log" "$name" "$before"
  done
}
