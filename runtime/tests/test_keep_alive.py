"""A keep-alive client (http.client reuses its socket unless an answer says
`Connection: close`) against a real runtime process: every answer after which the runtime
closes says so, so the client's next request goes down a fresh connection and succeeds."""

import http.client
import unittest

from runtime.tests.harness import WAIT, start

HANDLER = {"main.py": """
    def handler(event, context):
        return {"event": event}
"""}
ROUNDS = 20

# Requests the runtime answers and then closes the connection after, with the status each gets.
CLOSING = [
    ("invalid JSON", "POST", b"{nope", {"Content-Type": "application/json"}, 400),
    ("undecodable text", "POST", b"\xff\xfe", {"Content-Type": "text/plain"}, 400),
    ("a body over the limit", "POST", b"x" * 2000, {"Content-Type": "text/plain"}, 413),
    ("an unserved charset", "POST", b"x", {"Content-Type": "text/plain; charset=cp1252"}, 415),
    ("a probe with a body", "GET", b"x", {}, 200),
]


class KeepAliveClientTest(unittest.TestCase):
    def exchange_on(self, conn, method, path, body, headers):
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Connection"), response.read()
        except (http.client.HTTPException, OSError) as exc:
            self.fail(f"{method} {path} on a reused connection failed: {exc!r}")

    def test_every_closing_answer_says_connection_close(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_MAX_BODY_BYTES": "1000"})
        runtime.wait_healthy()
        conn = runtime.connection()
        self.addCleanup(conn.close)
        for _ in range(ROUNDS):
            for what, method, body, headers, status in CLOSING:
                path = "/healthz" if what == "a probe with a body" else "/call"
                got = self.exchange_on(conn, method, path, body, headers)
                self.assertEqual(got[:2], (status, "close"), what)
                got = self.exchange_on(conn, "POST", "/next", b"[1]", {"Content-Type": "application/json"})
                self.assertEqual(got[0], 200, f"the call after {what}")

    def test_a_call_while_the_handler_is_not_ready_says_connection_close(self):
        runtime = start(self, {"main.py": "raise ImportError('broken on purpose')\n"})
        runtime.wait_for_log(lambda r: r.get("msg") == "handler import failed")
        conn = runtime.connection(WAIT)
        self.addCleanup(conn.close)
        for _ in range(ROUNDS):
            got = self.exchange_on(conn, "POST", "/call", b"[1]", {"Content-Type": "application/json"})
            self.assertEqual(got[:2], (503, "close"))


if __name__ == "__main__":
    unittest.main()
