"""The runtime's own answers to GET or HEAD on /healthz and /metrics, which never reach
the handler. Neither is logged: probes every few seconds would drown the calls."""

import json

from .bodies import JSON_TYPE, Response
from .state import Runtime

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # Prometheus' text format


def probe_response(runtime: Runtime, path: str) -> Response:
    """/healthz is 200 only once the handler imported and until draining; /metrics always
    answers."""
    if path == "/metrics":
        text = runtime.metrics.render(runtime.state == "ready").encode()
        return Response(200, [("Content-Type", METRICS_TYPE)], text)
    if runtime.draining:
        status, payload = 503, {"status": "draining", "reason": "shutting down"}
    elif runtime.state == "ready":
        status, payload = 200, {"status": "ok"}
    else:
        status, payload = 503, {"status": runtime.state, "reason": runtime.reason}
    return Response(status, [("Content-Type", JSON_TYPE)], json.dumps(payload).encode())
