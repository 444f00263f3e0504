"""The kubelet's probes against a real runtime process whose PYLAMBDA_MAX_CONNECTIONS are all
busy (calls running, or clients mid-request), so that no connection can make room: /livez
and /healthz are still answered, on a connection without a thread, while every other
request past the cap gets 503; a connection past the cap that sends nothing, or an
incomplete head, gets 503 within a second or so."""

import json
import socket
import threading
import time
import unittest

from runtime.tests.harness import (WAIT, answered, connect, connect_many, raw_get, read_response,
                                   read_to_end, read_to_eof, start, status_of)

HANDLER = {"main.py": """
    import time

    def handler(event, context):
        if context.path == "/slow":
            time.sleep(2)
        return "ok"
"""}
CAP = 4


def fill_with_calls(test, port: int) -> list:
    """CAP connections each in the middle of a call that takes 2 s."""
    socks = connect_many(test, port, CAP)
    for sock in socks:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)  # every call in the handler
    return socks


def fill_mid_request(test, port: int) -> list:
    """CAP connections that sent part of a request line and stall (until the header timeout)."""
    socks = connect_many(test, port, CAP)
    for sock in socks:
        sock.sendall(b"GET / HT")
    time.sleep(0.3)
    return socks


def raw(port: int, request: bytes) -> bytes:
    """The whole answer to `request` on a new connection."""
    return read_to_eof(("127.0.0.1", port), request, WAIT)[0]


class ProbesAtTheCapTest(unittest.TestCase):
    def setUp(self):
        self.runtime = start(self, HANDLER, {"PYLAMBDA_MAX_CONNECTIONS": str(CAP)})
        self.runtime.wait_healthy()
        time.sleep(0.2)  # wait_healthy's connection closed

    def assert_refused(self, answer: bytes) -> None:
        self.assertEqual(status_of(answer), 503, answer)
        self.assertIn(b"\r\nConnection: close\r\n", answer)
        self.assertIn(b"\r\nRetry-After: 1\r\n", answer)
        self.assertIn(b'"type": "TooManyConnections"', answer)

    def test_a_pod_whose_connections_all_run_calls_passes_its_probes_and_refuses_calls(self):
        port = self.runtime.port
        busy = fill_with_calls(self, port)
        for path, status in (("/livez", "ok"), ("/healthz", "ok")):
            answer = raw_get(port, path)
            self.assertEqual(status_of(answer), 200, answer)
            self.assertIn(b"\r\nConnection: close\r\n", answer)
            self.assertIn(b"\r\nContent-Type: application/json\r\n", answer)
            self.assertEqual(json.loads(answer.partition(b"\r\n\r\n")[2]), {"status": status})
        head = raw(port, b"HEAD /livez?verbose HTTP/1.0\r\n\r\n")
        self.assertEqual(status_of(head), 200, head)
        self.assertTrue(head.endswith(b"\r\n\r\n"), head)  # no body for HEAD
        for request in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # a call
                        b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                        b"POST /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
                        b"GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
                        b"GET /livez HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                        b"GET /livez HTTP/2.0\r\nHost: x\r\n\r\n",
                        b"GET /livez  HTTP/1.1\r\nHost: x\r\n\r\n",
                        b"GET /livez HTTP/1.1\r\nHost : x\r\n\r\n",
                        b"GET /livez HTTP/1.1\r\n\r\n",  # no Host: a 400 below the cap
                        b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"):
            self.assert_refused(raw(port, request))
        for sock in busy:  # the calls themselves were not disturbed
            self.assertEqual(status_of(read_response(sock)), 200)
            sock.close()
        time.sleep(0.2)
        metrics = self.runtime.metrics()
        self.assertEqual(metrics["pylambda_refused_connections_total"], 10)
        self.assertEqual(metrics['pylambda_invocations_total{code="200"}'], CAP)  # no call past the cap

    def test_clients_stalled_mid_request_at_the_cap_do_not_fail_liveness(self):
        port = self.runtime.port
        stalled = fill_mid_request(self, port)
        time.sleep(1.0)  # past the age at which a waiting connection could be replaced
        for _ in range(3):
            self.assertEqual(status_of(raw_get(port, "/livez")), 200)
            self.assertEqual(status_of(raw_get(port, "/healthz")), 200)
            self.assert_refused(raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        for sock in stalled:
            self.assertFalse(answered(sock, 0))  # still theirs, until the header timeout

    def test_past_the_cap_a_connection_that_sends_no_whole_head_gets_503_within_a_second(self):
        port = self.runtime.port
        fill_mid_request(self, port)
        silent, partial = connect(self, port), connect(self, port)
        partial.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n")  # no blank line: never complete
        started = time.monotonic()
        for sock in (silent, partial):
            self.assert_refused(read_to_end(sock))
        self.assertLess(time.monotonic() - started, 2.5)

    def test_a_flood_of_silent_connections_past_the_cap_does_not_keep_a_probe_out(self):
        port = self.runtime.port
        fill_mid_request(self, port)
        flood = connect_many(self, port, 80)  # more than the overflow holds (64)
        time.sleep(0.3)
        self.assertEqual(status_of(raw_get(port, "/livez")), 200)  # the oldest make room for it
        for sock in flood:  # each answered 503, and ended, within the bound
            self.assert_refused(read_to_end(sock))


if __name__ == "__main__":
    unittest.main()


class ProbesThroughAFloodTest(unittest.TestCase):
    """Past the cap, a flood of connections that send nothing fills the overflow table many
    times a second: a probe arriving among them is read and answered, never pushed out unread."""

    FLOOD_SECONDS = 2.0
    FLOODERS = 3

    def setUp(self):
        self.runtime = start(self, HANDLER, {"PYLAMBDA_MAX_CONNECTIONS": str(CAP),
                                             "PYLAMBDA_HEADER_TIMEOUT_SECONDS": "10"})
        self.runtime.wait_healthy()
        time.sleep(0.2)

    def test_probes_pass_while_silent_connections_flood_past_the_cap(self):
        fill_mid_request(self, self.runtime.port)
        time.sleep(1.1)  # none of them replaceable any more: they are mid-request
        stop = time.monotonic() + self.FLOOD_SECONDS
        opened = []

        def flood():  # bounded: the flood's time, and at most 20,000 connections each
            for _ in range(20_000):
                if time.monotonic() > stop:
                    return
                try:
                    socket.create_connection(("127.0.0.1", self.runtime.port), timeout=1).close()
                    opened.append(1)
                except OSError:
                    pass

        flooders = [threading.Thread(target=flood) for _ in range(self.FLOODERS)]
        for thread in flooders:
            thread.start()
        statuses = []
        try:
            while time.monotonic() < stop - 0.2:
                statuses.append(status_of(raw(self.runtime.port, b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")))
                time.sleep(0.1)
        finally:
            for thread in flooders:
                thread.join()
        self.assertGreater(len(opened), 200, "the flood did not flood")
        self.assertEqual(statuses, [200] * len(statuses), f"{len(opened)} flood connections")
