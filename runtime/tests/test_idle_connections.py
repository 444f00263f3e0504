"""Connections that hold a slot without a request, against a real runtime process at a small
PYLAMBDA_MAX_CONNECTIONS: one that never sends a byte is ended at the header timeout from
its accept, one idle between requests at the idle timeout, and at the cap one waiting for a
request is closed to make room for a new one: the one silent longest since its accept,
else the keep-alive connection idle longest (never one mid-request)."""

import socket
import time
import unittest
from unittest import mock

from runtime.pylambda_runtime.idle import IdleConnections

from runtime.tests.harness import (WAIT, answered, connect, connect_many, get_kept_open,
                                   read_response, read_to_end, start, status_of)

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


def probe_status(port: int) -> int:
    """The status of a probe on a new connection (503 past the cap)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(PROBE)
        return status_of(read_response(sock))


def probe_on(test, sock) -> None:
    """A /healthz request on a kept-open connection, answered 200 (the connection stays)."""
    sock.sendall(PROBE)
    test.assertEqual(status_of(read_response(sock)), 200)


def call_status(port: int) -> int:
    """The status of a handler call on a new connection (503 past the cap)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        return status_of(read_response(sock))


class IdleConnectionTest(unittest.TestCase):
    def test_silent_connections_are_ended_at_the_header_timeout(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "4",
                                        "PYLAMBDA_HEADER_TIMEOUT_SECONDS": "1"})
        started = time.monotonic()
        silent = connect_many(self, runtime.port, 4)
        for sock in silent:  # told why, as a request too slow to arrive is
            self.assertTrue(read_to_end(sock).startswith(b"HTTP/1.1 408 "))
            sock.close()
        self.assertLess(time.monotonic() - started, WAIT / 2)

    def test_at_the_cap_a_new_connection_replaces_the_one_silent_longest(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "4"})
        silent = connect_many(self, runtime.port, 4, pause=0.05)  # they start waiting in order
        time.sleep(1.2)  # all accepted, and silent for a while
        for closed, path in enumerate(("/livez", "/healthz", "/"), start=1):
            answer = get_kept_open(self, runtime.port, path)[1]  # each holds its slot after
            self.assertEqual(status_of(answer), 200, answer)
            for sock in silent[:closed]:  # ended without an answer, the oldest first
                self.assertTrue(answered(sock, WAIT))
                self.assertEqual(read_to_end(sock), b"")
            for sock in silent[closed:]:
                self.assertFalse(answered(sock, 0.05))
        metrics = runtime.metrics()
        self.assertEqual(metrics["pylambda_replaced_connections_total"], 4)  # and /metrics' own
        self.assertEqual(metrics["pylambda_refused_connections_total"], 0)

    def test_a_silent_connection_is_replaced_before_an_idle_keep_alive_one(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "3",
                                        "PYLAMBDA_IDLE_TIMEOUT_SECONDS": "60"})
        kept = connect(self, runtime.port)
        probe_on(self, kept)
        time.sleep(0.1)  # idle longer than the silent ones below have waited
        silent = connect_many(self, runtime.port, 2, pause=0.05)
        time.sleep(1.2)
        self.assertEqual(call_status(runtime.port), 200)
        self.assertEqual(read_to_end(silent[0]), b"")
        self.assertFalse(answered(silent[1], 0.05))
        probe_on(self, kept)  # the keep-alive client is still served

    def test_a_connection_that_started_its_first_request_is_never_closed_to_make_room(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "1"})
        started = connect(self, runtime.port)
        started.sendall(b"GET / HT")  # a byte of its request: no longer silent
        time.sleep(1.2)
        self.assertEqual(call_status(runtime.port), 503)
        started.sendall(b"TP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status_of(read_response(started)), 200)

    def test_a_connection_whose_next_request_came_with_the_last_is_never_closed_to_make_room(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "1"})
        pipelined = connect(self, runtime.port)
        pipelined.sendall(PROBE + b"GET / HT")  # the next request's start in the same segment
        self.assertEqual(status_of(read_response(pipelined)), 200)
        time.sleep(1.2)  # as long as an idle connection waits before it may be replaced
        self.assertEqual(call_status(runtime.port), 503)
        pipelined.sendall(b"TP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status_of(read_response(pipelined)), 200)

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
            probe_on(self, sock)
            kept.append(sock)
            time.sleep(0.05)  # so that they start waiting in this order
        time.sleep(1.0)  # all idle long enough to be replaced
        for _ in range(2):  # each new one kept open too, so the cap stays reached
            sock = connect(self, runtime.port)
            probe_on(self, sock)
        self.assertEqual(read_to_end(kept[0]), b"")  # ended without an answer to anything
        self.assertEqual(read_to_end(kept[1]), b"")
        probe_on(self, kept[2])  # the one idle for the shortest time still serves
        time.sleep(1.1)
        metrics = runtime.metrics()
        self.assertEqual(metrics["pylambda_replaced_connections_total"], 3)  # and /metrics' own
        self.assertEqual(metrics["pylambda_refused_connections_total"], 0)

    def test_a_keep_alive_connection_idle_for_less_than_a_second_is_not_replaced(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "2",
                                        "PYLAMBDA_IDLE_TIMEOUT_SECONDS": "60"})
        client = connect(self, runtime.port)
        probe_on(self, client)
        busy = connect(self, runtime.port)
        busy.sendall(b"GET / HT")  # mid-request: never replaced, so the cap is reached
        time.sleep(1.2)
        for _ in range(3):  # a client calling back to back: its connection idle a moment
            probe_on(self, client)
            self.assertEqual(call_status(runtime.port), 503)  # refused, not put in its place
        time.sleep(1.2)
        self.assertEqual(call_status(runtime.port), 200)  # idle long enough now
        self.assertEqual(read_to_end(client), b"")

    def test_a_fresh_connection_is_not_replaced_before_it_has_been_silent_a_second(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "1"})
        fresh = connect(self, runtime.port)
        time.sleep(0.2)  # accepted, its request perhaps on its way
        self.assertEqual(call_status(runtime.port), 503)
        time.sleep(1.0)
        self.assertEqual(call_status(runtime.port), 200)
        self.assertEqual(read_to_end(fresh), b"")

    def test_a_connection_mid_request_is_never_closed_to_make_room(self):
        runtime = start_quiet(self, {"PYLAMBDA_MAX_CONNECTIONS": "1"})
        busy = connect(self, runtime.port)
        busy.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nok")
        time.sleep(0.2)  # its body is being read
        self.assertEqual(call_status(runtime.port), 503)
        busy.sendall(b"!!")
        received = read_response(busy)
        self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received)


if __name__ == "__main__":
    unittest.main()


class ReplacementRaceTest(unittest.TestCase):
    """IdleConnections alone, with socket pairs for connections."""

    def test_a_waiting_connection_whose_request_has_arrived_is_not_closed_to_make_room(self):
        # Its thread is waking (for the GIL, on a busy runtime) to read the request: closed
        # now, the request would be dropped unanswered, though the client had sent it.
        idle = IdleConnections()
        pairs = [socket.socketpair() for _ in range(2)]
        for pair in pairs:
            for end in pair:
                end.settimeout(WAIT)
                self.addCleanup(end.close)
        with_request, without = (mock.Mock(sock=pair[0]) for pair in pairs)
        with mock.patch("time.monotonic", return_value=time.monotonic() - 5):
            idle.add(with_request, first=True)  # the longest silent: the first one to go
            idle.add(without, first=True)
        pairs[0][1].sendall(b"GET / HTTP/1.1\r\n")
        self.assertTrue(idle.close_oldest())
        self.assertTrue(idle.discard(with_request), "the connection with a request was closed")
        self.assertFalse(idle.discard(without), "the one still silent was not closed")
        self.assertEqual(pairs[1][1].recv(100), b"")
