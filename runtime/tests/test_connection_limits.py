"""A flood of idle connections against a real runtime process with few file descriptors (a
container's limit is often 1024): past PYLAMBDA_MAX_CONNECTIONS the runtime answers 503 and
counts it; out of descriptors it backs off instead of spinning, logs it, counts it, and
serves again once connections close."""

import socket
import time
import unittest
from pathlib import Path

from runtime.tests.harness import WAIT, start

HANDLER = {"main.py": """
    def handler(event, context):
        return "ok"
"""}
OPEN_FILES = 64  # the process's RLIMIT_NOFILE in these tests


def open_idle(test, port: int, count: int) -> list:
    """`count` connections that send nothing, closed by the test's cleanups."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        test.addCleanup(sock.close)
        sockets.append(sock)
    return sockets


def read_all(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


@unittest.skipUnless(Path("/proc/self/stat").exists(), "reads CPU time from /proc")
class ConnectionLimitTest(unittest.TestCase):
    def test_the_default_cap_follows_the_descriptor_limit_and_refuses_past_it_with_503(self):
        runtime = start(self, HANDLER, max_open_files=OPEN_FILES)
        runtime.wait_healthy()
        cap = OPEN_FILES // 2
        idle = open_idle(self, runtime.port, cap)
        time.sleep(0.3)  # all accepted
        for _ in range(5):
            with socket.create_connection(("127.0.0.1", runtime.port), timeout=WAIT) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = read_all(sock)
            self.assertTrue(answer.startswith(b"HTTP/1.1 503 "), answer)
            self.assertIn(b"\r\nConnection: close\r\n", answer)
            self.assertIn(b"\r\nRetry-After: 1\r\n", answer)
            self.assertIn(b'"type": "TooManyConnections"', answer)
            self.assertIn(b"%d are open (PYLAMBDA_MAX_CONNECTIONS)" % cap, answer)
        runtime.wait_for_log(lambda r: r.get("msg") == "connections refused: too many open")
        idle.pop().close()
        time.sleep(0.3)
        metrics = runtime.metrics()
        self.assertEqual(metrics["pylambda_refused_connections_total"], 5)
        self.assertEqual(metrics["pylambda_open_connections"], cap)  # 31 idle, and this one

    def test_out_of_descriptors_the_accept_loop_backs_off_and_recovers(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_MAX_CONNECTIONS": "1000"},
                        max_open_files=OPEN_FILES)
        runtime.wait_healthy()
        idle = open_idle(self, runtime.port, OPEN_FILES + 16)  # the rest wait in the backlog
        time.sleep(0.5)
        cpu_before = runtime.cpu_seconds()
        time.sleep(2.0)
        spent = runtime.cpu_seconds() - cpu_before
        self.assertLess(spent, 0.3, "the accept loop spins at the descriptor limit")
        record = runtime.wait_for_log(lambda r: r.get("msg") == "cannot accept connections; backing off")
        self.assertEqual(record["error"], "Too many open files")
        for sock in idle:
            sock.close()
        deadline = time.monotonic() + WAIT
        while runtime.request("GET", "/healthz").status != 200:
            self.assertLess(time.monotonic(), deadline)
        self.assertGreater(runtime.metrics()["pylambda_accept_errors_total"], 0)


if __name__ == "__main__":
    unittest.main()
