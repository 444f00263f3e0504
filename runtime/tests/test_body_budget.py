"""The process-wide budget of request bytes held (PYLAMBDA_MAX_INFLIGHT_BODY_BYTES) against a
real runtime process: stalled large bodies past it are answered 503 before a byte of them is
read, so the process stays small while a normal call is still served; the text a body
decodes to counts too; a chunked body is counted chunk by chunk; and a call alone is served
whatever its size."""

import json
import select
import socket
import time
import unittest
from pathlib import Path

from runtime.tests.harness import WAIT, start
from runtime.tests.test_json_values import MiB, vm_status

HANDLER = {"main.py": """
    def handler(event, context):
        return {"size": len(context.body)}
"""}


def post_head(size: int, content_type: str = "application/octet-stream") -> bytes:
    return (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (content_type.encode(), size))


def connect(test, port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    test.addCleanup(sock.close)
    return sock


def answered(sock: socket.socket, within: float) -> bool:
    return bool(select.select([sock], [], [], within)[0])


def read_to_end(sock: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def call(test, port: int, body: bytes, content_type: str) -> tuple:
    """(status, decoded JSON body) of one call on a new connection."""
    sock = connect(test, port)
    sock.sendall(post_head(len(body), content_type).replace(b"Host: x", b"Connection: close") + body)
    head, _, payload = read_to_end(sock).partition(b"\r\n\r\n")
    return int(head[9:12]), json.loads(payload), head


class BodyBudgetTest(unittest.TestCase):
    def assert_refused(self, answer: bytes) -> None:
        head, _, payload = answer.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 503 "), answer[:200])
        self.assertIn(b"\r\nRetry-After: 1", head)
        self.assertIn(b"\r\nConnection: close", head)
        error = json.loads(payload)
        self.assertEqual(error["type"], "TooManyBodyBytes")
        self.assertIn("PYLAMBDA_MAX_INFLIGHT_BODY_BYTES", error["error"])
        self.assertTrue(error["requestId"])

    @unittest.skipUnless(Path("/proc/self/status").exists(), "reads RSS from /proc")
    def test_stalled_large_bodies_past_the_default_budget_are_refused_and_memory_stays_bounded(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_TIMEOUT_SECONDS": "20"})
        runtime.wait_healthy()
        base = vm_status(runtime.proc.pid)["VmHWM"]
        size, clients = 6 * MiB, 24  # 144 MiB of bodies, were they all read
        socks = [connect(self, runtime.port) for _ in range(clients)]
        for sock in socks:
            sock.sendall(post_head(size))
        time.sleep(0.5)  # every head read, and each call admitted or refused
        refused = [sock for sock in socks if answered(sock, 0)]
        admitted = [sock for sock in socks if sock not in refused]
        self.assertEqual(len(admitted), 5, "32 MiB holds five 6 MiB bodies")
        for sock in refused:
            self.assert_refused(read_to_end(sock))
        for sock in admitted:  # all but their last byte, then they stall
            sock.sendall(b"x" * (size - 1))
        time.sleep(0.5)
        status, answer, _ = call(self, runtime.port, b"[1]", "application/json")
        self.assertEqual((status, answer), (200, {"size": 3}))
        peak = vm_status(runtime.proc.pid)["VmHWM"]
        print(f"\n      {clients} stalled {size // MiB} MiB bodies: VmHWM {base / MiB:.0f} MiB at rest, "
              f"{peak / MiB:.0f} MiB at peak", end=" ")
        self.assertLess(peak, base + 64 * MiB)
        for sock in admitted:  # their calls end; the budget is free again for a large one
            sock.close()
        deadline = time.monotonic() + WAIT
        while (status := call(self, runtime.port, b"x" * size, "application/octet-stream")[0]) == 503:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.assertEqual(status, 200)

    def test_the_text_a_body_decodes_to_counts_and_a_call_alone_is_served_whatever_it_costs(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_MAX_INFLIGHT_BODY_BYTES": str(8 * MiB)})
        runtime.wait_healthy()
        stalled = connect(self, runtime.port)
        stalled.sendall(post_head(4 * MiB) + b"x" * MiB)  # holds 4 MiB
        time.sleep(0.3)
        # One character outside the BMP: the str, and the parsed string, take 4 bytes a character.
        text = json.dumps("\U0001F600" + "a" * (MiB - 8), ensure_ascii=False).encode()
        status, answer, head = call(self, runtime.port, text, "application/json")
        self.assertEqual(status, 503, answer)
        self.assertIn(b"\r\nRetry-After: 1", head)
        self.assertEqual(answer["type"], "TooManyBodyBytes")
        status, answer, _ = call(self, runtime.port, text, "application/octet-stream")
        self.assertEqual((status, answer), (200, {"size": len(text)}))  # bytes: no text made
        stalled.close()
        deadline = time.monotonic() + WAIT
        while (status := call(self, runtime.port, text, "application/json")[0]) == 503:
            self.assertLess(time.monotonic(), deadline)  # alone, its 9 MiB is served
            time.sleep(0.1)
        self.assertEqual(status, 200)

    def test_a_chunked_body_is_counted_chunk_by_chunk(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_MAX_INFLIGHT_BODY_BYTES": str(8 * MiB)})
        runtime.wait_healthy()
        stalled = connect(self, runtime.port)
        stalled.sendall(post_head(5 * MiB))
        time.sleep(0.3)
        sock = connect(self, runtime.port)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (MiB, b"y" * MiB)
        for _ in range(3):  # 5 + 3 MiB fit
            sock.sendall(chunk)
        self.assertFalse(answered(sock, 0.3))
        sock.sendall(chunk[:20])  # the fourth would not
        self.assert_refused(read_to_end(sock))


if __name__ == "__main__":
    unittest.main()
