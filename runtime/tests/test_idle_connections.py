"""Connections that hold a slot without a request, against a real runtime process at a small
PYLAMBDA_MAX_CONNECTIONS: one that never sends a byte is ended at the header timeout from
its accept, one idle between requests at the idle timeout, and at the cap a keep-alive
connection idle between requests is closed to make room for a new one (never one
mid-request)."""

import socket
import time
import unittest

from runtime.tests.harness import WAIT, start

HANDLER = {"main.py": """
    def handler(event, context):
        return "ok"
"""}
PROBE = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def start_quiet(test, env: dict):
    """A ready runtime whose probe connection from wait_healthy has closed, so that every
    slot is free for the test."""
    runtime = start(test, HANDLER, env)
    runtime.wait_healthy()
    time.sleep(0.2)
    return runtime


def connect(test, port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    test.addCleanup(sock.close)
    return sock


def read_response(sock: socket.socket) -> bytes:
    """One response whose body is its last part (the probe's few bytes arrive at once)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def read_to_end(sock: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def status_of(port: int) -> bytes:
    """The status line's code of a probe on a new connection (503 past the cap)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(PROBE)
        return read_response(sock)[9:12]


class IdleConnectionTest(unittest.TestCase):
    def test_silent_connections_at_the_cap_are_ended_at_the_header_timeout(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "4",
                                        "PYLAMBDA_HEADER_TIMEOUT_SECONDS": "1"})
        silent = [connect(self, runtime.port) for _ in range(4)]
        time.sleep(0.2)  # all accepted
        self.assertEqual(status_of(runtime.port), b"503")  # the cap, none of them idle between requests
        deadline = time.monotonic() + WAIT
        while status_of(runtime.port) != b"200":
            self.assertLess(time.monotonic(), deadline, "silent connections still hold every slot")
            time.sleep(0.1)
        for sock in silent:  # told why, as a request too slow to arrive is
            self.assertTrue(read_to_end(sock).startswith(b"HTTP/1.1 408 "))

    def test_a_keep_alive_connection_is_closed_after_the_idle_timeout(self):
        runtime = start_quiet(self, {"PYLAMBDA_IDLE_TIMEOUT_SECONDS": "0.5"})
        sock = connect(self, runtime.port)
        started = time.monotonic()
        sock.sendall(PROBE)
        received = read_to_end(sock)  # the answer, then the end after the idle timeout
        self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received)
        self.assertNotIn(b"Connection: close", received)
        self.assertLess(time.monotonic() - started, WAIT / 2)

    def test_at_the_cap_the_longest_idle_keep_alive_connection_makes_room(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "3",
                                        "PYLAMBDA_IDLE_TIMEOUT_SECONDS": "60"})
        kept = []
        for _ in range(3):
            sock = connect(self, runtime.port)
            sock.sendall(PROBE)
            self.assertTrue(read_response(sock).startswith(b"HTTP/1.1 200 "))
            kept.append(sock)
            time.sleep(0.05)  # so that they start waiting in this order
        for _ in range(2):  # each new one kept open too, so the cap stays reached
            sock = connect(self, runtime.port)
            sock.sendall(PROBE)
            self.assertTrue(read_response(sock).startswith(b"HTTP/1.1 200 "))
        self.assertEqual(read_to_end(kept[0]), b"")  # ended without an answer to anything
        self.assertEqual(read_to_end(kept[1]), b"")
        kept[2].sendall(PROBE)  # the one idle for the shortest time still serves
        self.assertTrue(read_response(kept[2]).startswith(b"HTTP/1.1 200 "))
        metrics = runtime.metrics()
        self.assertEqual(metrics["pylambda_replaced_connections_total"], 3)  # and /metrics' own
        self.assertEqual(metrics["pylambda_refused_connections_total"], 0)

    def test_a_connection_mid_request_is_never_closed_to_make_room(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "1"})
        busy = connect(self, runtime.port)
        busy.sendall(b"POST / HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nok")
        time.sleep(0.2)  # its body is being read
        self.assertEqual(status_of(runtime.port), b"503")
        busy.sendall(b"!!")
        received = read_response(busy)
        self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received)


if __name__ == "__main__":
    unittest.main()
