"""The runtime's own answers to GET or HEAD on /healthz, /livez and /metrics, which never
reach the handler. None is logged: probes every few seconds would drown the calls.

/healthz is readiness (traffic), /livez liveness (a restart). A handler call that timed out
goes on running in the background on its connection's thread, holding that connection, and
Python cannot stop it. A pod whose handler deadlocks answers every call 504 while such calls
pile up until they fill PYLAMBDA_MAX_CONNECTIONS; then it refuses everything, for good. So
readiness fails once a quarter of the connections are held by abandoned calls (traffic moves
to other pods first), and liveness once half are (the kubelet restarts the pod), long before
the cap. Liveness also fails when the timeout watchdog has stopped running: no call would
time out any more. A handler that holds the GIL (a C call that never releases it) stops
every thread, probes included: the probe's timeout fails liveness then."""

import json
import time

from .bodies import JSON_TYPE, Response
from .state import Runtime

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # Prometheus' text format
PROBE_PATHS = frozenset(("/healthz", "/livez", "/metrics"))
# The watchdog runs at least once a second (watchdog.HEARTBEAT_SECONDS); this long without it
# is a watchdog that cannot run, not one that is merely late on a loaded machine.
WATCHDOG_STALE_SECONDS = 10.0


def readiness_limit(max_connections: int) -> int:
    """Abandoned calls at which /healthz fails: a quarter of the connection cap (at least 1)."""
    return max(1, max_connections // 4)


def liveness_limit(max_connections: int) -> int:
    """Abandoned calls at which /livez fails: half the connection cap (at least 1)."""
    return max(1, max_connections // 2)


def abandoned_reason(abandoned: int, limit: int) -> str:
    return (f"{abandoned} timed-out handler calls are still running (limit {limit}, from "
            "PYLAMBDA_MAX_CONNECTIONS)")


def liveness(runtime: Runtime, watchdog) -> tuple:
    abandoned, limit = runtime.metrics.abandoned, liveness_limit(runtime.settings.max_connections)
    if abandoned >= limit:
        return 503, {"status": "wedged", "reason": abandoned_reason(abandoned, limit)}
    silent = time.monotonic() - watchdog.heartbeat
    if silent > WATCHDOG_STALE_SECONDS:
        return 503, {"status": "wedged",
                     "reason": f"the timeout watchdog has not run for {silent:.0f}s"}
    return 200, {"status": "ok"}


def readiness(runtime: Runtime) -> tuple:
    if runtime.draining:
        return 503, {"status": "draining", "reason": "shutting down"}
    if runtime.state != "ready":
        return 503, {"status": runtime.state, "reason": runtime.reason}
    abandoned, limit = runtime.metrics.abandoned, readiness_limit(runtime.settings.max_connections)
    if abandoned >= limit:
        return 503, {"status": "degraded", "reason": abandoned_reason(abandoned, limit)}
    return 200, {"status": "ok"}


def probe_response(runtime: Runtime, path: str, watchdog) -> Response:
    """/healthz is 200 only once the handler imported, until draining, while few abandoned
    calls run; /livez is 200 unless the runtime is wedged (whatever the handler's import and
    draining); /metrics always answers."""
    if path == "/metrics":
        text = runtime.metrics.render(runtime.state == "ready", runtime.body_budget.held).encode()
        return Response(200, [("Content-Type", METRICS_TYPE)], text)
    status, payload = liveness(runtime, watchdog) if path == "/livez" else readiness(runtime)
    return Response(status, [("Content-Type", JSON_TYPE)], json.dumps(payload).encode())
