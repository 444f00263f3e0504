"""The process-wide budget of request bytes held (PYLAMBDA_MAX_INFLIGHT_BODY_BYTES) against a
real runtime process: a body holds the bytes of it that arrived, not its Content-Length, so
headers announcing bodies that never come lock no one out; stalled large bodies past the
budget are refused with 503 as their bytes arrive, so the process stays small; the text a
body decodes to counts too; a chunked body is counted as it arrives; and a call alone is
served whatever its size."""

import json
import time
import unittest
from pathlib import Path

from runtime.tests.harness import (WAIT, answered, connect, connect_many, push, read_response,
                                   read_to_end, start, status_of)
from runtime.tests.test_json_values import MiB, vm_status

HANDLER = {"main.py": """
    def handler(event, context):
        return {"size": len(context.body)}
"""}


def post_head(size: int, content_type: str = "application/octet-stream") -> bytes:
    return (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (content_type.encode(), size))


def call(test, port: int, body: bytes, content_type: str) -> tuple:
    """(status, decoded JSON body) of one call on a new connection."""
    sock = connect(test, port)
    sock.sendall(post_head(len(body), content_type).replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n") + body)
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

    def body_bytes_held(self, runtime) -> float:
        return runtime.metrics().get("pylambda_inflight_body_bytes")

    def test_headers_announcing_bodies_that_never_come_hold_none_of_the_budget(self):
        runtime = start(self, HANDLER)  # the default budget, 32 MiB
        runtime.wait_healthy()
        stalled = connect_many(self, runtime.port, 12)
        for sock in stalled:  # 36 MB announced, not a byte of it sent
            sock.sendall(post_head(3_000_000))
        time.sleep(0.3)
        for size in (100, MiB, 6 * MiB):
            status, answer, _ = call(self, runtime.port, b"x" * size, "application/octet-stream")
            self.assertEqual((status, answer), (200, {"size": size}))
        self.assertEqual(self.body_bytes_held(runtime), 0)
        for sock in stalled:
            self.assertFalse(answered(sock, 0))  # still waiting for their bodies

    def test_a_stalled_body_holds_the_bytes_it_sent(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_MAX_INFLIGHT_BODY_BYTES": str(8 * MiB)})
        runtime.wait_healthy()
        stalled = connect(self, runtime.port)
        stalled.sendall(post_head(6 * MiB) + b"x" * (3 * MiB))
        time.sleep(0.3)
        status, answer, _ = call(self, runtime.port, b"x" * (4 * MiB), "application/octet-stream")
        self.assertEqual((status, answer), (200, {"size": 4 * MiB}))  # 3 + 4 MiB fit
        held = self.body_bytes_held(runtime)
        self.assertLessEqual(held, 3 * MiB)
        self.assertGreater(held, 3 * MiB - (64 << 10))  # but what came with its headers
        status, answer, head = call(self, runtime.port, b"x" * (6 * MiB), "application/octet-stream")
        self.assertEqual(status, 503)  # 3 + 6 MiB would not: refused as it arrives
        self.assert_refused(head + b"\r\n\r\n" + json.dumps(answer).encode())
        stalled.sendall(b"x" * (3 * MiB))  # the stalled one completes, and is served
        self.assertEqual(status_of(read_response(stalled)), 200)

    def test_large_bodies_that_arrived_and_stall_leave_room_for_small_calls(self):
        runtime = start(self, HANDLER)  # the default budget, 32 MiB: 4 MiB kept for small bodies
        runtime.wait_healthy()
        stalled = connect_many(self, runtime.port, 8)
        for sock in stalled:
            sock.sendall(post_head(4 * MiB))
        push(stalled, b"x" * (4 * MiB - 1), WAIT)  # 32 MiB sent but 8 bytes, then they stall
        time.sleep(0.3)
        small = json.dumps(["a" * 100] * 600).encode()  # 62 KiB of JSON
        for _ in range(3):
            status, answer, _ = call(self, runtime.port, small, "application/json")
            self.assertEqual((status, answer), (200, {"size": len(small)}))
        self.assertLessEqual(self.body_bytes_held(runtime), 28 * MiB)  # large ones: 32 less 4
        for sock in stalled:
            if answered(sock, 0):
                self.assert_refused(read_to_end(sock))

    @unittest.skipUnless(Path("/proc/self/status").exists(), "reads RSS from /proc")
    def test_stalled_large_bodies_past_the_default_budget_are_refused_and_memory_stays_bounded(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_TIMEOUT_SECONDS": "20"})
        runtime.wait_healthy()
        base = vm_status(runtime.proc.pid)["VmHWM"]
        size, clients = 6 * MiB, 60  # 360 MiB of bodies, were they all read
        socks = connect_many(self, runtime.port, clients)
        for sock in socks:
            sock.sendall(post_head(size))
        sent = push(socks, b"x" * (size - 1), WAIT)  # all but their last byte, then they stall
        time.sleep(0.5)
        refused = [sock for sock in socks if answered(sock, 0)]
        self.assertGreater(len(refused), clients - 5, "28 MiB holds four 6 MiB bodies at most")
        for sock in refused:
            self.assert_refused(read_to_end(sock))
        peak = vm_status(runtime.proc.pid)["VmHWM"]
        print(f"\n      {clients} {size // MiB} MiB bodies sent but their last byte "
              f"({sum(sent) / MiB:.0f} MiB taken in all), {clients - len(refused)} left stalled: "
              f"VmHWM {base / MiB:.0f} MiB at rest, {peak / MiB:.0f} MiB at peak", end=" ")
        self.assertLessEqual(self.body_bytes_held(runtime), 28 * MiB)  # the reserve kept free
        self.assertLess(peak, base + 64 * MiB)
        status, answer, _ = call(self, runtime.port, b"[1]", "application/json")
        self.assertEqual((status, answer), (200, {"size": 3}))  # a small call is still served
        for sock in socks:  # their calls end; the budget is free again for a large one
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
        stalled.sendall(post_head(4 * MiB) + b"x" * MiB)  # holds the 1 MiB it sent
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

    def test_an_ascii_json_body_whose_escapes_make_wide_strings_counts_them(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_MAX_INFLIGHT_BODY_BYTES": str(8 * MiB)})
        runtime.wait_healthy()
        stalled = connect(self, runtime.port)
        stalled.sendall(post_head(4 * MiB) + b"x" * MiB)  # holds the 1 MiB it sent
        time.sleep(0.3)
        size = 3 * MiB // 2
        plain = b'["' + b"a" * (size - 4) + b'"]'  # 1 MiB + 1.5 MiB + its 3 MiB of text fit
        self.assertEqual(call(self, runtime.port, plain, "application/json")[:2],
                         (200, {"size": size}))
        # ASCII bytes, but the parsed string takes 4 bytes a character: 6 MiB, not 1.5.
        escaped = b'["' + b"a" * (size - 16) + b'\\ud83d\\ude00"]'
        utf16 = ('["' + "a" * (size // 2 - 16) + '\\ud83d\\ude00"]').encode("utf-16-le")
        for name, body in (("escaped", escaped), ("utf-16 of ASCII", utf16)):
            with self.subTest(name):
                self.assertTrue(body.isascii())
                status, answer, _ = call(self, runtime.port, body, "application/json")
                self.assertEqual(status, 503, answer)
                self.assertEqual(answer["type"], "TooManyBodyBytes")
        stalled.close()
        deadline = time.monotonic() + WAIT
        while (status := call(self, runtime.port, escaped, "application/json")[0]) == 503:
            self.assertLess(time.monotonic(), deadline)  # alone, it is served
            time.sleep(0.1)
        self.assertEqual(status, 200)

    def test_a_chunked_body_is_counted_as_it_arrives(self):
        runtime = start(self, HANDLER, {"PYLAMBDA_MAX_INFLIGHT_BODY_BYTES": str(8 * MiB)})
        runtime.wait_healthy()
        stalled = connect(self, runtime.port)
        stalled.sendall(post_head(6 * MiB) + b"x" * (5 * MiB))  # holds 5 MiB
        time.sleep(0.3)
        sock = connect(self, runtime.port)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (MiB, b"y" * MiB)
        for _ in range(2):  # 5 + 2 MiB fit
            sock.sendall(chunk)
        self.assertFalse(answered(sock, 0.3))
        sock.sendall(chunk * 2)  # 5 + 4 would not
        self.assert_refused(read_to_end(sock))


if __name__ == "__main__":
    unittest.main()
