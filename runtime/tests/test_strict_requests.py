"""Request lines, targets and chunk extensions that RFC 9112 does not allow, sent to a real
runtime process: each is answered 400 with `Connection: close` and the connection ends,
without the handler seeing it or the runtime logging a traceback; and what the timeouts
series counts."""

import socket
import time
import unittest

from runtime.tests.harness import read_to_eof, start

HANDLER = {"main.py": """
    import time

    def handler(event, context):
        if context.path == "/slow":
            time.sleep(3)
        return {"method": context.method, "path": context.path}
"""}


class StrictRequestTest(unittest.TestCase):
    def setUp(self):
        self.runtime = start(self, HANDLER, {"PYLAMBDA_TIMEOUT_SECONDS": "1"})
        self.runtime.wait_healthy()

    def exchange(self, data: bytes) -> tuple:
        """Send `data`, read until the runtime ends the connection: (what came back, seconds)."""
        return read_to_eof(("127.0.0.1", self.runtime.port), data, timeout=5)

    def assert_refused(self, data: bytes):
        received, seconds = self.exchange(data)
        self.assertTrue(received.startswith(b"HTTP/1.1 400 "), (data[:80], received[:300]))
        self.assertIn(b"\r\nConnection: close\r\n", received)
        self.assertEqual(received.count(b"HTTP/1.1 "), 1, received)  # nothing more was served
        self.assertLess(seconds, 2.0, "the connection was left open")

    def test_a_few_empty_lines_before_a_request_line_are_ignored(self):
        request = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        post = b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
        last = b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        received, _ = self.exchange(b"\r\n" + request + post + b"\r\n" + b"\n\r\n\r\n" + last)
        self.assertEqual(received.count(b"HTTP/1.1 200 "), 3, received)  # one connection, kept alive
        self.assertEqual([r["path"] for r in self.calls()], ["/a", "/b", "/c"])

    def test_more_empty_lines_than_a_few_end_the_connection_unanswered(self):
        received, seconds = self.exchange(b"\r\n" * 5 + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(received, b"")
        self.assertLess(seconds, 2.0)
        self.assertEqual(self.calls(), [])

    def calls(self) -> list:
        time.sleep(0.1)  # the log writer's batch
        return [r for r in self.runtime.records() if r.get("msg") == "call"]

    def test_a_request_line_that_is_not_method_target_version_is_400(self):
        lines = [b"G\x01T / HTTP/1.1", b"G" * 60_000 + b" / HTTP/1.1", b"G" * 33 + b" / HTTP/1.1",
                 b"GET\x1c/x HTTP/1.1", b"GET\x1f/x HTTP/1.1", b"GET\x85/x HTTP/1.1",
                 b"GET\xa0/x HTTP/1.1", b"GET  / HTTP/1.1", b"GET /\tx HTTP/1.1",
                 b"GET / HTTP/1.1 ", b" GET / HTTP/1.1", b"GET /a\x00b HTTP/1.1",
                 b"GET /a\x7fb HTTP/1.1", b"GET /a\x1bb HTTP/1.1", b"GET / HTTP/1.1\x0b",
                 b"GET/ HTTP/1.1", b"GET / HTTP/x"]
        for line in lines:
            with self.subTest(line=line[:40]):
                self.assert_refused(line + b"\r\nHost: x\r\n\r\n")
        self.assertEqual(self.calls(), [], "none reached the handler")

    def test_valid_request_lines_still_reach_the_handler(self):
        method = b"UPDATEREDIRECTREF"  # a registered method, and an unregistered token
        for line, expected in ((b"GET /x?a=1 HTTP/1.1", ("GET", "/x")),
                               (method + b" /y HTTP/1.1", (method.decode(), "/y")),
                               (b"PURGE /a%20b HTTP/1.1", ("PURGE", "/a%20b")),
                               (b"X-CUSTOM_1.2~ * HTTP/1.1", ("X-CUSTOM_1.2~", "*")),
                               (b"GET http://example.com/p?q=1 HTTP/1.1", ("GET", "/p"))):
            with self.subTest(line=line):
                received, _ = self.exchange(line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
                self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received)
                body = received.partition(b"\r\n\r\n")[2]
                self.assertIn(b'"method": "%s", "path": "%s"' % tuple(v.encode() for v in expected), body)

    def test_an_absolute_form_target_that_is_not_a_url_is_400_not_a_runtime_error(self):
        for target in (b"http://[::1/", b"http://[::1/x?y", b"https://[v1.x/"):
            with self.subTest(target=target):
                self.assert_refused(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.1)
        errors = [r for r in self.runtime.records() if "traceback" in r or r.get("msg") == "connection error"]
        self.assertEqual(errors, [], "a client's target is not a runtime bug")
        self.assertEqual(self.runtime.request("GET", "/ok").json(), {"method": "GET", "path": "/ok"})

    def test_chunk_extensions_are_read_as_rfc_9112_writes_them(self):
        head = b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        for extension in (b";ext", b" ; a=b ;c=\"x\\\"y\"", b"\t;name=\"\xe9 v\"", b";a ; b= c"):
            with self.subTest(extension=extension):
                received, _ = self.exchange(head + b"2" + extension + b"\r\n{}\r\n0\r\n\r\n")
                self.assertTrue(received.startswith(b"HTTP/1.1 200 "), received)
        for extension in (b";ext\rX", b";e\x00", b";a=\"\x01\"", b";", b";a=", b";a b", b";a=\"open",
                          b";a=b\"c\"", b";(x)", b";a=\x7f"):
            with self.subTest(extension=extension):
                self.assert_refused(head + b"2" + extension + b"\r\n{}\r\n0\r\n\r\n")

    def test_the_timeouts_series_counts_handler_timeouts_only(self):
        with socket.create_connection(("127.0.0.1", self.runtime.port), timeout=5) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
            self.assertTrue(sock.recv(65536).startswith(b"HTTP/1.1 504 "))  # the body, late
        self.assertEqual(self.runtime.request("GET", "/slow").status, 504)  # the handler, late
        samples = self.runtime.metrics()
        self.assertEqual(samples['pylambda_invocations_total{code="504"}'], 2)
        self.assertEqual(samples["pylambda_invocation_timeouts_total"], 1)
        text = self.runtime.request("GET", "/metrics").body.decode()
        self.assertIn("# HELP pylambda_invocation_timeouts_total Calls answered 504 because the "
                      "handler ran past the timeout (not a body that arrived too late", text)


if __name__ == "__main__":
    unittest.main()
