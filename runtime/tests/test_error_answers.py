"""Framing errors that http.server's own code answers (400, 408, 414, 431, 505) over a raw
socket to a real runtime process: each is the runtime's JSON error, with the standard reason
phrase in its status line and Connection: close, like every other error it produces."""

import json
import socket
import time
import unittest

from runtime.tests.harness import WAIT, read_to_eof, start

HANDLER = {"main.py": """
    def handler(event, context):
        return "ok"
"""}
CASES = [  # request, status line, type
    (b"GET / HTTP/1.1 extra\r\n\r\n", b"HTTP/1.1 400 Bad Request", "InvalidRequest"),
    (b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", b"HTTP/1.1 400 Bad Request", "InvalidRequest"),
    (b"POST / HTTP/1.1\r\nX-Request-Id: given-1\r\nContent-Length: x\r\n\r\n",
     b"HTTP/1.1 400 Bad Request", "InvalidRequest"),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", b"HTTP/1.1 414 Request-URI Too Long",
     "RequestURITooLong"),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n",
     b"HTTP/1.1 431 Request Header Fields Too Large", "RequestHeaderFieldsTooLarge"),
    (b"GET / HTTP/2.0\r\n\r\n", b"HTTP/1.1 505 HTTP Version Not Supported", "HTTPVersionNotSupported"),
]


class ErrorAnswerTest(unittest.TestCase):
    def setUp(self):
        self.runtime = start(self, HANDLER, {"PYLAMBDA_HEADER_TIMEOUT_SECONDS": "0.5"})
        self.runtime.wait_healthy()

    def assert_json_error(self, answer: bytes, status_line: bytes, kind: str) -> dict:
        head, _, body = answer.partition(b"\r\n\r\n")
        self.assertEqual(head.split(b"\r\n")[0], status_line, answer[:300])
        self.assertIn(b"\r\nContent-Type: application/json\r\n", head + b"\r\n")
        self.assertIn(b"\r\nConnection: close\r\n", head + b"\r\n")
        self.assertIn(b"\r\nContent-Length: %d\r\n" % len(body), head + b"\r\n")
        error = json.loads(body)
        self.assertEqual(set(error), {"error", "type", "requestId"})
        self.assertEqual(error["type"], kind)
        return error

    def test_framing_errors_are_json_with_the_standard_reason_phrase(self):
        for request, status_line, kind in CASES:
            with self.subTest(status_line=status_line):
                answer, _ = read_to_eof(("127.0.0.1", self.runtime.port), request, WAIT)
                error = self.assert_json_error(answer, status_line, kind)
                if b"given-1" in request:  # the request's own id, once its headers were read
                    self.assertEqual(error["requestId"], "given-1")
                    self.assertIn("Content-Length", error["error"])

    def test_a_request_too_slow_to_arrive_is_a_json_408(self):
        with socket.create_connection(("127.0.0.1", self.runtime.port), timeout=WAIT) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
            time.sleep(0.1)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        error = self.assert_json_error(received, b"HTTP/1.1 408 Request Timeout", "RequestTimeout")
        self.assertIn("PYLAMBDA_HEADER_TIMEOUT_SECONDS", error["error"])


if __name__ == "__main__":
    unittest.main()


class FramingErrorLogTest(unittest.TestCase):
    """A client can send malformed or silent requests as fast as it can connect: each is still
    answered, but the pod's log gets one line per status and 10 s, saying how many there were,
    not one line each (which would let any client flood the log and its shipper)."""

    def setUp(self):
        self.runtime = start(self, HANDLER, {"PYLAMBDA_HEADER_TIMEOUT_SECONDS": "0.3"})
        self.runtime.wait_healthy()
        self.address = ("127.0.0.1", self.runtime.port)

    def refusal_lines(self, status: int) -> list:
        return [r for r in self.runtime.records()
                if r.get("msg", "").startswith(f"http: requests refused with {status} ")]

    def test_a_flood_of_malformed_requests_logs_one_line_per_status(self):
        for _ in range(100):
            answer, _ = read_to_eof(self.address, b"GET / HTTP/1.1 extra\r\n\r\n", WAIT)
            self.assertTrue(answer.startswith(b"HTTP/1.1 400 "), answer[:100])
        for _ in range(10):  # silent until the header timeout
            answer, _ = read_to_eof(self.address, b"", WAIT)
            self.assertTrue(answer.startswith(b"HTTP/1.1 408 "), answer[:100])
        first = self.runtime.wait_for_log(lambda r: r.get("msg", "").startswith(
            "http: requests refused with 408 "))
        self.assertEqual(first["level"], "warning")
        self.assertEqual(first["times"], 1)
        time.sleep(0.2)  # any stray line would have been written by now
        lines = self.refusal_lines(400)
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(lines[0]["times"], 1)
        self.assertEqual(lines[0]["client"], "127.0.0.1")
        self.assertIn("message", lines[0])
        self.assertEqual(len(self.refusal_lines(408)), 1)
