"""Connections in-process, with short timeouts: what a stalled or idle client gets. The idle
timeout is the wait for a request; once one has started, only its deadlines end it."""

import json
import socket
import time
import unittest

from runtime.pylambda_runtime.deadlines import set_idle_timeout
from runtime.tests.harness import connect, read_response, start, status_of
from runtime.tests.in_process import serve_in_process

IDLE = 0.3


class IdleTimeoutTest(unittest.TestCase):
    def test_a_blocking_socket_gets_kernel_receive_and_send_timeouts(self):
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        set_idle_timeout(ours, IDLE)
        self.assertIsNone(ours.gettimeout(), "the socket stays blocking")
        reader = ours.makefile("rb")
        started = time.monotonic()
        self.assertEqual(reader.readline(), b"")  # idle: the reader sees the end
        self.assertGreaterEqual(time.monotonic() - started, IDLE * 0.9)
        with self.assertRaises(OSError):  # the peer never reads: the send gives up
            ours.sendall(b"x" * (64 << 20))


class ServerTest(unittest.TestCase):
    """A real Server on 127.0.0.1 in this process, its handler set directly."""

    def setUp(self):
        self.server = serve_in_process(self, lambda event, context: event, IDLE,
                                       {"PYLAMBDA_HEADER_TIMEOUT_SECONDS": "1",
                                        "PYLAMBDA_TIMEOUT_SECONDS": "1"})

    def exchange(self, data: bytes, close_after: bool = False) -> tuple:
        """Send data, then read to the server's EOF; (what came back, seconds it took)."""
        with socket.create_connection(self.server.server_address, timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(data)
            if close_after:
                sock.shutdown(socket.SHUT_WR)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            return received, time.monotonic() - started

    def test_an_idle_keep_alive_connection_is_closed_after_the_idle_time(self):
        request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
        received, seconds = self.exchange(request)
        self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received)
        self.assertTrue(received.endswith(b"\r\n\r\n[]"), received)
        self.assertGreaterEqual(seconds, IDLE * 0.9)

    def test_a_request_stalled_mid_line_is_408_at_the_header_timeout_not_the_idle_one(self):
        for head in (b"GET /pa", b"GET / HTTP/1.1\r\nHost: x\r\nX-Half: 1"):
            received, seconds = self.exchange(head)
            self.assertTrue(received.startswith(b"HTTP/1.1 408 "), received)
            self.assertGreater(seconds, IDLE * 2)

    def test_a_request_cut_mid_line_is_dropped_unanswered(self):
        self.assertEqual(self.exchange(b"GET /pa", close_after=True)[0], b"")

    def test_a_body_cut_short_is_400_and_one_stalled_is_504_at_the_call_deadline(self):
        head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n"
        for close_after, status, kind in ((True, b"400", "InvalidRequest"), (False, b"504", "Timeout")):
            received, _ = self.exchange(head + b"[1,", close_after)
            self.assertTrue(received.startswith(b"HTTP/1.1 " + status + b" "), received)
            body = json.loads(received.partition(b"\r\n\r\n")[2])
            self.assertEqual(body["type"], kind)

if __name__ == "__main__":
    unittest.main()


class DefaultTimeoutTest(unittest.TestCase):
    def test_a_handler_setting_socket_default_timeout_leaves_the_connections_alone(self):
        # socket.setdefaulttimeout (common, for the HTTP calls a handler makes) also applies
        # to the sockets accept() makes: a Python timeout that ended a connection's wait for
        # its request, unanswered, once it passed, instead of the runtime's own timeouts.
        runtime = start(self, {"main.py": """
            import socket

            socket.setdefaulttimeout(0.2)


            def handler(event, context):
                return "ok"
        """})
        runtime.wait_healthy()
        sock = connect(self, runtime.port)
        time.sleep(0.6)  # a client slower than that default timeout, well within the runtime's
        request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        for _ in range(2):  # the first request, then the next one on the kept-open connection
            sock.sendall(request)
            self.assertEqual(status_of(read_response(sock)), 200)
            time.sleep(0.6)
