"""Clients that ask for a large response and read it slowly, or not at all, against a real
runtime process: each response has PYLAMBDA_WRITE_TIMEOUT_SECONDS in all to be written,
however little the client reads at a time; what a connection holds meanwhile is the body
once; and the runtime keeps serving everyone else."""

import socket
import threading
import time
import unittest
from pathlib import Path

from runtime.tests.harness import WAIT, start
from runtime.tests.test_json_values import MiB, vm_status

BIG = 6 * MiB
HANDLER = {"main.py": f"""
    def handler(event, context):
        if context.path == "/big":
            return "x" * {BIG}
        return {{"ok": True}}
"""}
WRITE_SECONDS = 2.0


def slow_reader(port: int, every: float, for_at_most: float, result: list) -> None:
    """Ask for /big with a small receive buffer, then read 4 KiB every `every` seconds (so
    the runtime sees progress) until the runtime ends the connection: appends (seconds from
    the request to that end, or None if it never came, bytes read)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
    sock.settimeout(WAIT)
    try:
        sock.connect(("127.0.0.1", port))
        started = time.monotonic()
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        received, ended = 0, None
        while time.monotonic() - started < for_at_most:
            time.sleep(every)
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                ended = time.monotonic() - started
                break
            received += len(chunk)
        result.append((ended, received))
    finally:
        sock.close()


@unittest.skipUnless(Path("/proc/self/status").exists(), "reads RSS from /proc")
class SlowReaderTest(unittest.TestCase):
    READERS = 10

    def test_slow_readers_of_a_big_response_are_cut_at_the_write_deadline(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_WRITE_TIMEOUT_SECONDS": str(WRITE_SECONDS)})
        runtime.wait_healthy()
        base = vm_status(runtime.proc.pid)["VmRSS"]
        results: list = []
        readers = [threading.Thread(target=slow_reader, args=(runtime.port, 0.1, 3 * WRITE_SECONDS + 2, results),
                                    daemon=True) for _ in range(self.READERS)]
        for reader in readers:
            reader.start()
        time.sleep(1.0)  # every response is being written, slowly
        held = vm_status(runtime.proc.pid)["VmRSS"]
        started = time.monotonic()  # meanwhile everyone else is served, at once
        self.assertEqual(runtime.request("GET", "/healthz").status, 200)
        self.assertEqual(runtime.request("POST", "/", b"{}").json(), {"ok": True})
        self.assertLess(time.monotonic() - started, 1.0)
        for reader in readers:
            reader.join(3 * WRITE_SECONDS + 5)
        peak = vm_status(runtime.proc.pid)["VmHWM"]
        per_reader = (held - base) / self.READERS
        print(f"\n      {self.READERS} slow readers of {BIG // MiB} MiB: RSS {base / MiB:.0f} MiB at rest, "
              f"{held / MiB:.0f} MiB while written ({per_reader / MiB:.1f} MiB each), peak "
              f"{peak / MiB:.0f} MiB; cut after {sorted(r[0] or -1 for r in results)[-1]:.1f}s",
              end=" ")
        self.assertEqual(len(results), self.READERS)
        for ended, received in results:
            self.assertIsNotNone(ended, "the connection outlived the write deadline")
            self.assertLess(ended, WRITE_SECONDS + 1.5)
            self.assertLess(received, BIG)
        self.assertLess(per_reader, 9 * MiB, "a slow reader holds the body once, not three times")
        self.assertLess(peak, base + self.READERS * 10 * MiB)
        warnings = [r for r in runtime.records() if r.get("msg", "").startswith("response not written")]
        self.assertEqual(len(warnings), self.READERS)
        self.assertEqual(warnings[0]["variable"], "PYLAMBDA_WRITE_TIMEOUT_SECONDS")
        self.assertEqual(runtime.metrics()["pylambda_open_connections"], 1)  # the /metrics one

    def test_a_big_response_read_at_once_is_whole(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_WRITE_TIMEOUT_SECONDS": str(WRITE_SECONDS)})
        runtime.wait_healthy()
        conn = runtime.connection()
        self.addCleanup(conn.close)
        for _ in range(2):  # and the connection is kept for the next request
            conn.request("GET", "/big")
            response = conn.getresponse()
            self.assertEqual((response.status, len(response.read())), (200, BIG))
        conn.request("HEAD", "/big")
        response = conn.getresponse()
        self.assertEqual((response.headers["Content-Length"], response.read()), (str(BIG), b""))


if __name__ == "__main__":
    unittest.main()
