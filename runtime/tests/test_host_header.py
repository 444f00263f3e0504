"""The Host header, sent to a real runtime process: RFC 9112 3.2 has a server answer 400 to
an HTTP/1.1 request without one and to any request with more than one. Each is refused as
the other framing errors are (JSON, `Connection: close`, the connection ended, the handler
never called); an HTTP/1.0 request without Host, an empty Host, and the kubelet's probes
(which always send Host) are served."""

import json
import time
import unittest

from runtime.tests.harness import raw_get, read_to_eof, start, status_of

HANDLER = {"main.py": """
    def handler(event, context):
        return {"host": context.headers.get("host")}
"""}


def answers(received: bytes) -> int:
    """How many responses `received` holds (an error's message may say "HTTP/1.1" too)."""
    return received.count(b"\r\nServer: pylambda\r\n")


class HostHeaderTest(unittest.TestCase):
    def setUp(self):
        self.runtime = start(self, HANDLER)
        self.runtime.wait_healthy()

    def exchange(self, data: bytes) -> bytes:
        """Send `data`, read until the runtime ends the connection."""
        received, seconds = read_to_eof(("127.0.0.1", self.runtime.port), data, timeout=5)
        self.assertLess(seconds, 2.0, "the connection was left open")
        return received

    def calls(self) -> list:
        time.sleep(0.1)  # the log writer's batch
        return [r for r in self.runtime.records() if r.get("msg") == "call"]

    def assert_refused(self, data: bytes, message: str) -> None:
        received = self.exchange(data)
        self.assertTrue(received.startswith(b"HTTP/1.1 400 Bad Request\r\n"), received)
        self.assertIn(b"\r\nConnection: close\r\n", received)
        self.assertEqual(answers(received), 1, received)  # nothing after it was served
        body = json.loads(received.partition(b"\r\n\r\n")[2])
        self.assertEqual((body["type"], body["requestId"]), ("InvalidRequest", "given-1"))
        self.assertIn(message, body["error"])

    def test_an_http_1_1_request_without_host_is_400_and_ends_its_connection(self):
        for path in (b"/", b"/healthz", b"/livez", b"/metrics"):
            with self.subTest(path=path):
                self.assert_refused(b"GET %s HTTP/1.1\r\nX-Request-Id: given-1\r\n\r\n" % path,
                                    "must have a Host header")
        # On a keep-alive connection: the request before is served, the one without Host
        # refused, and the one after it never read.
        received = self.exchange(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                                 b"POST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
                                 b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(received.startswith(b"HTTP/1.1 200 OK\r\n"), received)
        self.assertEqual(received.count(b"HTTP/1.1 400 Bad Request\r\n"), 1, received)
        self.assertEqual(answers(received), 2, received)
        self.assertEqual([r["path"] for r in self.calls()], ["/a"])
        refusal = self.runtime.wait_for_log(lambda r: r.get("msg") == "http: requests refused with "
                                            "400 Bad Request")
        self.assertIn("Host", refusal["message"])

    def test_a_request_with_two_host_lines_is_400_in_either_version(self):
        for version in (b"HTTP/1.1", b"HTTP/1.0"):
            for hosts in (b"Host: a\r\nHost: b\r\n", b"Host: a\r\nhost: a\r\n", b"Host: a\r\nHOST:\r\n"):
                with self.subTest(version=version, hosts=hosts):
                    self.assert_refused(b"GET / " + version + b"\r\n" + hosts +
                                        b"X-Request-Id: given-1\r\n\r\n", "only one Host header")
        self.assertEqual(self.calls(), [], "none reached the handler")

    def test_http_1_0_without_host_an_empty_host_and_one_host_are_served(self):
        for request, host in ((b"GET / HTTP/1.0\r\n\r\n", None),
                              (b"GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n", ""),
                              (b"GET / HTTP/1.1\r\nhost: a.example:8080\r\nConnection: close\r\n\r\n",
                               "a.example:8080")):
            with self.subTest(request=request):
                received = self.exchange(request)
                self.assertEqual(status_of(received), 200, received)
                self.assertEqual(json.loads(received.partition(b"\r\n\r\n")[2]), {"host": host})

    def test_the_kubelets_probes_are_answered(self):
        for path in ("/healthz", "/livez", "/metrics"):
            with self.subTest(path=path):
                self.assertEqual(status_of(raw_get(self.runtime.port, path)), 200)


if __name__ == "__main__":
    unittest.main()
