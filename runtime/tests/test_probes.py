"""Readiness (/healthz) and liveness (/livez) of a runtime whose handler is wedged: calls that
time out but never return, and a timeout watchdog that cannot run."""

import http.client
import json
import time
import unittest
from unittest import mock

from runtime.pylambda_runtime import probes
from runtime.tests.harness import WAIT, start
from runtime.tests.in_process import serve_in_process

DEADLOCKED = """
import threading

NEVER = threading.Event()


def handler(event, context):
    if context.path == "/stuck":
        NEVER.wait()  # as a handler waiting on a lock that is never released
    return {"ok": True}
"""


def probe(port: int, path: str) -> tuple:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


class WedgedHandlerTest(unittest.TestCase):
    def test_abandoned_calls_fail_readiness_first_then_liveness(self):
        # 8 connections: readiness fails at 2 abandoned calls, liveness at 4
        env = {"PYLAMBDA_TIMEOUT_SECONDS": "0.3", "PYLAMBDA_MAX_CONNECTIONS": "8"}
        process = start(self, {"main.py": DEADLOCKED}, env)
        process.wait_healthy()
        self.assertEqual(probe(process.port, "/livez"), (200, {"status": "ok"}))
        seen = []
        for abandoned in range(1, 5):
            self.assertEqual(process.request("GET", "/stuck").status, 504)
            self.assertEqual(process.metrics()["pylambda_abandoned_invocations"], abandoned)
            seen.append((abandoned, probe(process.port, "/healthz")[0],
                         probe(process.port, "/livez")[0]))
        self.assertEqual(seen, [(1, 200, 200), (2, 503, 200), (3, 503, 200), (4, 503, 503)])
        status, ready = probe(process.port, "/healthz")
        self.assertEqual(ready["status"], "degraded")
        self.assertIn("4 timed-out handler calls are still running (limit 2", ready["reason"])
        status, alive = probe(process.port, "/livez")
        self.assertEqual((status, alive["status"]), (503, "wedged"))
        self.assertIn("limit 4", alive["reason"])
        self.assertEqual(process.request("HEAD", "/livez").status, 503)
        livez_calls = [r for r in process.records() if r.get("path") == "/livez"]
        self.assertEqual(livez_calls, [], "probes are not logged, nor given to the handler")

    def test_liveness_holds_while_the_import_fails_and_while_draining(self):
        process = start(self, {"main.py": "raise ImportError('no such thing')\n"},
                        {"PYLAMBDA_DRAIN_SECONDS": "2"})
        process.wait_for_log(lambda r: r["msg"] == "handler import failed")
        self.assertEqual(probe(process.port, "/healthz")[0], 503)
        self.assertEqual(probe(process.port, "/livez"), (200, {"status": "ok"}))
        process.signal()
        process.wait_for_log(lambda r: r["msg"] == "draining")
        self.assertEqual(probe(process.port, "/healthz")[1]["status"], "draining")
        self.assertEqual(probe(process.port, "/livez"), (200, {"status": "ok"}))
        self.assertEqual(process.wait_exit(), 0)


class WedgedWatchdogTest(unittest.TestCase):
    def wait_for(self, port: int, status: int) -> dict:
        deadline = time.monotonic() + WAIT
        while True:
            got, payload = probe(port, "/livez")
            if got == status:
                return payload
            self.assertLess(time.monotonic(), deadline, f"/livez never answered {status}")
            time.sleep(0.05)

    def test_liveness_fails_while_the_watchdog_cannot_run_and_recovers_after(self):
        patcher = mock.patch.object(probes, "WATCHDOG_STALE_SECONDS", 0.5)
        patcher.start()
        self.addCleanup(patcher.stop)
        server = serve_in_process(self, lambda event, context: {}, idle_seconds=5)
        port = server.server_address[1]
        self.assertEqual(probe(port, "/livez")[0], 200)
        with server.watchdog._lock:  # the watchdog's thread waits on it, as if deadlocked
            payload = self.wait_for(port, 503)
        self.assertEqual(payload["status"], "wedged")
        self.assertIn("the timeout watchdog has not run for", payload["reason"])
        self.wait_for(port, 200)


if __name__ == "__main__":
    unittest.main()
