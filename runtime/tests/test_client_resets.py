"""Clients that reset their connection mid-request, against a real runtime process: that is
the client going away, read as the end of the stream (a body cut short is the documented
400), never a runtime error, a handler error in the metrics or a traceback in the logs."""

import json
import socket
import struct
import sys
import time
import unittest

from runtime.pylambda_runtime.logs import flush_logs
from runtime.tests.harness import WAIT, start
from runtime.tests.in_process import serve_in_process

HANDLER = {"main.py": """
    def handler(event, context):
        return "ok"
"""}
RESETS = 5


def send_then_reset(port: int, data: bytes) -> None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.sendall(data)
    time.sleep(0.1)  # read by the runtime, which now waits for the rest
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # a reset, not an orderly end


class ClientResetTest(unittest.TestCase):
    def test_resets_mid_body_and_mid_headers_are_no_errors_and_log_no_traceback(self):
        runtime = start(self, HANDLER)
        runtime.wait_healthy()
        for _ in range(RESETS):
            send_then_reset(runtime.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                                          b"Content-Length: 1000\r\n\r\n" + b"x" * 100)
            send_then_reset(runtime.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Half: 1")
        time.sleep(0.3)
        self.assertEqual(runtime.request("POST", "/", b"[1]").status, 200)  # serving still
        metrics = runtime.metrics()
        self.assertEqual(metrics["pylambda_invocation_errors_total"], 0)
        self.assertNotIn('pylambda_invocations_total{code="500"}', metrics)
        self.assertEqual(metrics['pylambda_invocations_total{code="400"}'], RESETS)  # cut short
        records = runtime.records()
        self.assertEqual([r for r in records if "traceback" in r or r.get("level") == "error"], [])

    def test_a_request_whose_headers_never_end_never_reaches_the_handler(self):
        runtime = start(self, {"main.py": """
            def handler(event, context):
                return None
        """})
        runtime.wait_healthy()
        # Its last header line whole, but no empty line: the client resets, or ends its side.
        head = b"DELETE /orders/43 HTTP/1.1\r\nHost: x\r\n"
        send_then_reset(runtime.port, head)
        with socket.create_connection(("127.0.0.1", runtime.port), timeout=WAIT) as sock:
            sock.sendall(head)
            sock.shutdown(socket.SHUT_WR)
            self.assertEqual(sock.recv(65536), b"", "an incomplete request is not answered")
        time.sleep(0.3)
        self.assertEqual(runtime.request("GET", "/after").status, 204)  # serving still
        runtime.wait_for_log(lambda r: r.get("msg") == "call" and r.get("path") == "/after")
        paths = [r.get("path") for r in runtime.records() if r.get("msg") == "call"]
        self.assertEqual(paths, ["/after"], runtime.output())


class HandleErrorTest(unittest.TestCase):
    def test_a_client_socket_error_is_logged_throttled_without_traceback_a_bug_with_one(self):
        server = serve_in_process(self, lambda event, context: event, 1.0)
        errors = [lambda: ConnectionResetError(104, "Connection reset by peer")] * 3 + [lambda: ValueError("bug")]
        for error in errors:
            try:
                raise error()
            except Exception:
                server.handle_error(None, ("127.0.0.1", 1))
        flush_logs()
        records = [json.loads(line) for line in sys.stdout.getvalue().splitlines()]
        resets = [r for r in records if r["msg"] == "client connection error"]
        self.assertEqual(len(resets), 1, records)
        self.assertEqual(resets[0]["error"], "ConnectionResetError: [Errno 104] Connection reset by peer")
        self.assertNotIn("traceback", resets[0])
        bugs = [r for r in records if r["msg"] == "connection error"]
        self.assertEqual(len(bugs), 1)
        self.assertIn("ValueError: bug", bugs[0]["traceback"])


if __name__ == "__main__":
    unittest.main()
