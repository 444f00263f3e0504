"""Slow and oversized requests against a real runtime process: each request's headers and
body have a deadline of their own (a byte now and then does not hold a thread), the header
section is bounded, and stalled requests under the limits fit a pod's default memory."""

import socket
import threading
import time
import unittest
from pathlib import Path

from runtime.tests.harness import WAIT, answered, read_response, read_to_end, start

HANDLER = {"main.py": """
    def handler(event, context):
        return {"bytes": len(context.body)}
"""}
POD_MEMORY_LIMIT = 256 << 20  # the default memory limit of a lambda's container (256Mi)


def trickle(port: int, head: bytes, drip: bytes, every: float, for_at_most: float) -> tuple:
    """Send `head`, then `drip` one byte every `every` seconds until the server answers or
    `for_at_most` passes: (what came back, seconds from the first byte)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        started = time.monotonic()
        sock.sendall(head)
        sock.settimeout(every)
        received = b""
        for byte in drip:
            if time.monotonic() - started > for_at_most:
                break
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                chunk = None
            except ConnectionResetError:
                break
            if chunk == b"":
                break
            if chunk:
                received += chunk
                continue
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
        return received, time.monotonic() - started


class SlowRequestTest(unittest.TestCase):
    def setUp(self):
        self.runtime = start(self, HANDLER, {"PYLAMBDA_HEADER_TIMEOUT_SECONDS": "1",
                                             "PYLAMBDA_TIMEOUT_SECONDS": "1"})
        self.runtime.wait_healthy()

    def test_headers_sent_a_byte_at_a_time_are_408_at_the_header_timeout(self):
        for head, drip in ((b"GET /", b"a" * 40), (b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"b" * 40)):
            with self.subTest(head=head):
                received, seconds = trickle(self.runtime.port, head, drip, 0.2, 4.0)
                self.assertTrue(received.startswith(b"HTTP/1.1 408 "), received)
                self.assertIn(b"PYLAMBDA_HEADER_TIMEOUT_SECONDS", received)
                self.assertIn(b"\r\nConnection: close\r\n", received)
                self.assertLess(seconds, 2.5)

    def test_a_pipelined_request_started_behind_the_last_is_408_at_the_header_timeout(self):
        # Its start came in the same segment as the request before it, so no receive marks
        # its first byte: it must not wait as an idle connection does (15 s, no answer).
        for rest in (b"GET /x HTTP/1.1\r\nHost: a\r\n", b"GET /x HT"):
            with self.subTest(rest=rest), socket.create_connection(
                    ("127.0.0.1", self.runtime.port), timeout=WAIT) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" + rest)
                self.assertTrue(read_response(sock).startswith(b"HTTP/1.1 200 "))
                self.assertTrue(answered(sock, WAIT), "no 408 before the idle timeout")
                received = read_to_end(sock)
                self.assertTrue(received.startswith(b"HTTP/1.1 408 "), received)
                self.assertIn(b"\r\nConnection: close\r\n", received)

    def test_a_body_sent_a_byte_at_a_time_is_504_at_the_call_timeout(self):
        head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n"
        received, seconds = trickle(self.runtime.port, head, b"x" * 99, 0.2, 4.0)
        self.assertTrue(received.startswith(b"HTTP/1.1 504 "), received)
        self.assertIn(b"the request body did not arrive within 1s", received)
        self.assertIn(b"\r\nConnection: close\r\n", received)
        self.assertLess(seconds, 2.5)
        self.assertEqual(self.runtime.request("POST", "/", b"ok").json(), {"bytes": 2})

    def test_a_header_section_over_64_kib_is_431(self):
        lines = b"".join(b"X-%d: %s\r\n" % (i, b"a" * 1000) for i in range(70))
        reply = self.runtime.request("GET", "/", headers={})  # the process still serves
        self.assertEqual(reply.status, 200)
        with socket.create_connection(("127.0.0.1", self.runtime.port), timeout=WAIT) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        self.assertTrue(answer.startswith(b"HTTP/1.1 431 "), answer)
        self.assertIn(b"over the 64 KiB limit", answer)


class LateDecodeTest(unittest.TestCase):
    def test_a_body_that_arrived_but_was_not_decoded_by_the_deadline_is_504_and_closes(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_TIMEOUT_SECONDS": "0.05",
                                        "PYLAMBDA_MAX_JSON_VALUES": "1000000"})
        runtime.wait_healthy()
        body = b"[" + b"{}," * (700_000 - 1) + b"{}]"  # 2 MiB: a few ms to send, far more to parse
        head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        for _ in range(3):  # on a loaded machine even the body may come too late: that 504 too
            with socket.create_connection(("127.0.0.1", runtime.port), timeout=WAIT) as sock:
                sock.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
                answer = read_response(sock)
                self.assertTrue(answer.startswith(b"HTTP/1.1 504 "), answer)
                self.assertIn(b"\r\nConnection: close\r\n", answer)
                self.assertTrue(answered(sock, WAIT), "the connection was left open")
                self.assertEqual(read_to_end(sock), b"")
            if b"was not read and decoded within 0.05s" in answer:
                break
        else:
            self.fail("no body arrived in time to be decoded too late")


def peak_rss(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


@unittest.skipUnless(Path("/proc/self/status").exists(), "reads peak RSS from /proc")
class StalledRequestsMemoryTest(unittest.TestCase):
    """20 requests that send as much as the limits let through, then stall: the runtime's
    peak RSS stays under the 256Mi a lambda container gets by default."""

    CONNECTIONS = 20
    BODY = 6 << 20  # PYLAMBDA_MAX_BODY_BYTES's default

    def stall(self, runtime, request: bytes) -> list:
        """Send `request` on CONNECTIONS connections at once and leave them open; the sockets."""
        sockets, threads = [], []

        def send(sock):
            try:
                sock.sendall(request)
            except OSError:
                pass  # refused part-way (431): what the runtime holds is what matters

        for _ in range(self.CONNECTIONS):
            sock = socket.create_connection(("127.0.0.1", runtime.port), timeout=WAIT)
            self.addCleanup(sock.close)
            sockets.append(sock)
            threads.append(threading.Thread(target=send, args=(sock,), daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT * 2)
        return sockets

    def assert_fits(self, request: bytes):
        runtime = start(self, HANDLER, {"PYLAMBDA_TIMEOUT_SECONDS": "30"})
        runtime.wait_healthy()
        self.stall(runtime, request)
        time.sleep(0.5)  # what was sent is read
        self.assertEqual(runtime.request("GET", "/healthz").status, 200)
        peak = peak_rss(runtime.proc.pid)
        print(f"\n      peak RSS {peak / (1 << 20):.0f} MiB with {self.CONNECTIONS} stalled requests",
              end=" ")
        self.assertLess(peak, POD_MEMORY_LIMIT)

    def body_head(self, headers: bytes) -> bytes:
        return (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n" + headers +
                b"Content-Length: %d\r\n\r\n" % self.BODY)

    def test_huge_headers_and_a_nearly_complete_body(self):
        headers = b"".join(b"X-%d: %s\r\n" % (i, b"h" * 65000) for i in range(97))
        self.assert_fits(self.body_head(headers) + b"b" * (self.BODY - 1))

    def test_headers_just_under_the_bound_and_a_nearly_complete_body(self):
        headers = b"".join(b"X-%d: %s\r\n" % (i, b"h" * 600) for i in range(97))
        self.assert_fits(self.body_head(headers) + b"b" * (self.BODY - 1))


if __name__ == "__main__":
    unittest.main()
