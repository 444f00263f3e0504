"""The runtime's Prometheus series, written by hand because the standard library has no
client, and the count of unfinished calls that shutdown waits on."""

import threading
import time
from bisect import bisect_left
from itertools import accumulate


class Metrics:
    """Prometheus series kept by hand (the stdlib has no client), and the in-flight count
    that shutdown waits on, under one lock."""

    BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

    def __init__(self):
        self._lock = threading.Lock()
        self.by_code: dict = {}
        self.errors = self.timeouts = self.inflight = self.abandoned = self.count = 0
        self.connections = self.refused_connections = self.accept_errors = 0
        self.replaced_connections = 0
        self.unfinished = 0  # calls whose response is not written yet: what shutdown waits on
        self.buckets, self.seconds = [0] * (len(self.BUCKETS) + 1), 0.0  # per bucket, +Inf last

    def call_started(self) -> None:
        with self._lock:
            self.inflight += 1
            self.unfinished += 1

    def call_answered(self, status: int, seconds: float, failed: bool) -> None:
        """Counted before the response is written, so a client that got it sees it counted
        (and no longer in flight)."""
        with self._lock:
            self.inflight -= 1
            self.by_code[status] = self.by_code.get(status, 0) + 1
            self.errors += failed
            self.count, self.seconds = self.count + 1, self.seconds + seconds
            self.buckets[bisect_left(self.BUCKETS, seconds)] += 1

    def call_finished(self, answered: bool = True) -> None:
        """Once its response is written (or the call failed for good): shutdown may exit.
        A call that failed before call_answered is no longer in flight either, or the gauge
        would stay up for good."""
        with self._lock:
            self.unfinished -= 1
            self.inflight -= not answered

    def call_abandoned(self, delta: int) -> None:
        """+1 when a call times out while still running, -1 when it finally returns."""
        with self._lock:
            self.abandoned += delta
            self.timeouts += max(delta, 0)

    def connection_opened(self, replacing: bool) -> None:
        """Count a connection in; `replacing` a waiting one closed to make room for it."""
        with self._lock:
            self.connections += 1
            self.replaced_connections += replacing

    def connection_refused(self) -> None:
        with self._lock:
            self.refused_connections += 1

    def connection_closed(self) -> None:
        with self._lock:
            self.connections -= 1

    def accept_failed(self) -> None:
        with self._lock:
            self.accept_errors += 1

    def wait_idle(self, timeout: float) -> bool:
        """Polled, so that calls never pay for waking a waiter that only shutdown needs."""
        deadline = time.monotonic() + timeout
        while self.unfinished and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.unfinished

    def render(self, ready: bool, body_bytes: int = 0) -> str:
        """The Prometheus text format 0.0.4: per family its HELP, TYPE and samples."""
        lines = []

        def family(name, kind, text, samples):
            lines.extend([f"# HELP {name} {text}", f"# TYPE {name} {kind}"])
            lines.extend(f"{name}{labels} {value}" for labels, value in samples)

        with self._lock:
            cumulative = list(accumulate(self.buckets))
            hist = [(f'_bucket{{le="{b}"}}', n) for b, n in zip(self.BUCKETS, cumulative)]
            family("pylambda_invocations_total", "counter",
                   "Calls (every request but GET /healthz, /livez and /metrics) by HTTP status.",
                   [(f'{{code="{c}"}}', n) for c, n in sorted(self.by_code.items())])
            family("pylambda_invocation_errors_total", "counter",
                   "Calls whose handler raised, timed out or returned an unencodable value.",
                   [("", self.errors)])
            # Handler timeouts only, counted where the watchdog abandons a call: they are the
            # user's code being too slow, what this series is watched for. A 504 for a body
            # that arrived too late is the client's slowness; it is counted by its code in
            # pylambda_invocations_total{code="504"}, as every answer is, and not here.
            family("pylambda_invocation_timeouts_total", "counter",
                   "Calls answered 504 because the handler ran past the timeout (not a body "
                   "that arrived too late: see pylambda_invocations_total{code=\"504\"}).",
                   [("", self.timeouts)])
            family("pylambda_invocation_duration_seconds", "histogram",
                   "Seconds from request received to response ready.",
                   hist + [('_bucket{le="+Inf"}', self.count), ("_sum", round(self.seconds, 6)),
                           ("_count", self.count)])
            family("pylambda_inflight_invocations", "gauge", "Calls being answered now.",
                   [("", self.inflight)])
            family("pylambda_abandoned_invocations", "gauge",
                   "Timed-out handler calls still running in the background.",
                   [("", self.abandoned)])
            family("pylambda_handler_ready", "gauge", "1 once the handler imported, else 0.",
                   [("", int(ready))])
            family("pylambda_inflight_body_bytes", "gauge",
                   "Request body bytes received and decoded text held now, of "
                   "PYLAMBDA_MAX_INFLIGHT_BODY_BYTES.", [("", body_bytes)])
            family("pylambda_open_connections", "gauge", "Client connections open now.",
                   [("", self.connections)])
            family("pylambda_refused_connections_total", "counter",
                   "Connections answered 503 because PYLAMBDA_MAX_CONNECTIONS were open.",
                   [("", self.refused_connections)])
            family("pylambda_replaced_connections_total", "counter",
                   "Connections waiting for a request (silent since their accept, or idle "
                   "keep-alive) closed to make room for a new one at PYLAMBDA_MAX_CONNECTIONS.",
                   [("", self.replaced_connections)])
            family("pylambda_accept_errors_total", "counter",
                   "Failures to accept a connection (out of file descriptors, memory).",
                   [("", self.accept_errors)])
        return "\n".join(lines) + "\n"
