"""JSON bodies that are small as bytes and huge as Python objects, against a real runtime
process: past PYLAMBDA_MAX_JSON_VALUES they are 413 before they are parsed, so a few of them
at once cannot take a pod past its memory limit; and the count costs little for the JSON
an ordinary call sends."""

import json
import random
import socket
import threading
import time
import unittest
from pathlib import Path

from runtime.pylambda_runtime.json_values import count_values, values_over
from runtime.tests.harness import WAIT, start

HANDLER = {"main.py": """
    import time

    def handler(event, context):
        if context.path == "/hold":  # keeps the event while others arrive
            time.sleep(0.5)
        return {"type": type(event).__name__, "length": len(event) if event else 0}
"""}
MiB = 1 << 20


def vm_status(pid: int) -> dict:
    """VmRSS and VmHWM (the peak) of a process, in bytes."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields


def post_all(port: int, request: bytes, count: int) -> list:
    """Send `request` on `count` connections at once; what each got before its end."""
    answers = []

    def one():
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT * 2) as sock:
            sock.sendall(request)
            answer = b""
            try:
                while chunk := sock.recv(65536):
                    answer += chunk
            except OSError:  # a reset after the answer
                pass
            answers.append(answer)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 3)
    return answers


def realistic_json(size: int) -> bytes:
    """Records as an API sends them: ids, names, flags, numbers, a list, a nested object."""
    rng, records, length = random.Random(7), [], 2
    while length < size:
        record = {"id": rng.randrange(10**9), "name": f"user {rng.randrange(10**6)}",
                  "email": f"u{rng.randrange(10**6)}@example.com", "active": rng.random() < 0.5,
                  "score": rng.random() * 100, "tags": [f"t{rng.randrange(99)}" for _ in range(3)],
                  "address": {"street": f"{rng.randrange(999)} Main St", "city": "Springfield",
                              "zip": f"{rng.randrange(10**5):05d}"}, "note": None}
        records.append(record)
        length += len(json.dumps(record)) + 2
    return json.dumps(records).encode()


@unittest.skipUnless(Path("/proc/self/status").exists(), "reads RSS from /proc")
class ValuesBombTest(unittest.TestCase):
    """6 MiB of `[{},{},...]` is 2.1 million values, about 150 MiB once parsed."""

    CONCURRENT = 4
    BODY = b"[" + b"{}," * ((6 * MiB - 3) // 3 - 1) + b"{}]"  # just under 6 MiB

    def test_a_body_of_too_many_values_is_413_and_memory_stays_bounded(self):
        # The budget of bodies held at once would refuse some of them 503 first: this is the
        # values bound alone.
        runtime = start(self, HANDLER, {"PYLAMBDA_TIMEOUT_SECONDS": "20",
                                        "PYLAMBDA_MAX_INFLIGHT_BODY_BYTES": str(1 << 30)})
        runtime.wait_healthy()
        base = vm_status(runtime.proc.pid)["VmRSS"]
        peak, done = [base], threading.Event()

        def sample():  # VmHWM is the kernel's own peak; sampling VmRSS shows the same thing
            while not done.is_set():
                peak[0] = max(peak[0], vm_status(runtime.proc.pid)["VmRSS"])
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        request = (b"POST /hold HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n" % len(self.BODY)) + self.BODY
        started = time.monotonic()
        answers = post_all(runtime.port, request, self.CONCURRENT)
        seconds = time.monotonic() - started
        done.set()
        sampler.join(WAIT)
        hwm = vm_status(runtime.proc.pid)["VmHWM"]
        print(f"\n      {self.CONCURRENT} x {len(self.BODY) / MiB:.0f} MiB of {{}}: RSS {base / MiB:.0f} "
              f"MiB at rest, peak {peak[0] / MiB:.0f} MiB sampled, {hwm / MiB:.0f} MiB VmHWM, "
              f"{seconds:.2f}s", end=" ")
        self.assertEqual(len(answers), self.CONCURRENT)
        for answer in answers:
            self.assertTrue(answer.startswith(b"HTTP/1.1 413 "), answer[:200])
            self.assertIn(b"PYLAMBDA_MAX_JSON_VALUES", answer)
        self.assertLess(hwm, 100 * MiB, "well under a pod's 256Mi")
        reply = runtime.request("POST", "/", b"[{}, {}]", {"Content-Type": "application/json"})
        self.assertEqual(reply.json(), {"type": "list", "length": 2})


class ValuesLimitTest(unittest.TestCase):
    def setUp(self):
        self.runtime = start(self, HANDLER, {"PYLAMBDA_MAX_JSON_VALUES": "1000"})
        self.runtime.wait_healthy()

    def post(self, body: bytes, content_type="application/json"):
        return self.runtime.request("POST", "/", body, {"Content-Type": content_type} if content_type else {})

    def test_values_up_to_the_limit_are_parsed_and_one_more_is_413(self):
        at_limit = json.dumps([{"k": [1, "s", None]}] * 166 + [0, 1, 2]).encode()  # 1 + 996 + 3
        over = json.dumps([{"k": [1, "s", None]}] * 166 + [0, 1, 2, 3]).encode()
        self.assertEqual((count_values(at_limit), count_values(over)), (1000, 1001))
        for content_type in ("application/json", "application/problem+json", None):
            with self.subTest(content_type=content_type):
                self.assertEqual(self.post(at_limit, content_type).json()["length"], 169)
                reply = self.post(over, content_type)
                self.assertEqual(reply.status, 413, reply.body)
                self.assertEqual(reply.json()["type"], "TooManyJSONValues")
                self.assertIn("more than 1000 values (PYLAMBDA_MAX_JSON_VALUES)", reply.json()["error"])
                self.assertEqual(reply.headers["Connection"], "close")

    def test_strings_and_keys_count_and_their_text_does_not(self):
        keys = json.dumps({f"k{i}": "[{,:1 \\\" x" for i in range(500)}).encode()  # 1001 values
        self.assertEqual(self.post(keys).status, 413)
        text = json.dumps(["[{1,2,3}] " * 5000] * 10).encode()  # 11 values, 500 KB
        self.assertEqual(self.post(text).json(), {"type": "list", "length": 10})

    def test_json_in_other_encodings_is_counted_too(self):
        over = json.dumps([0] * 1000)
        for codec, content_type in (("utf-16", "application/json"), ("utf-32-le", "application/json"),
                                    ("utf-8-sig", "application/json"),
                                    ("latin-1", "application/json; charset=latin-1")):
            with self.subTest(codec=codec):
                self.assertEqual(self.post(over.encode(codec), content_type).status, 413)

    def test_text_that_is_not_json_is_not_counted(self):
        text = "words, 1 2 3, true false null " * 10_000
        reply = self.post(text.encode(), "text/plain")
        self.assertEqual(reply.json(), {"type": "str", "length": len(text)})
        reply = self.post(text.encode(), None)  # no Content-Type: not JSON, so text
        self.assertEqual(reply.json(), {"type": "str", "length": len(text)})


class CountTest(unittest.TestCase):
    def test_the_count_is_exact_for_valid_json(self):
        rng = random.Random(3)

        def value(depth=0):
            roll = rng.random()
            if depth > 3 or roll < 0.5:
                return rng.choice([0, -1.5e300, True, False, None, "", 'a"\\[{,:1', "é\u2028",
                                   float("nan"), float("-inf"), 10**30])
            if roll < 0.75:
                return [value(depth + 1) for _ in range(rng.randrange(5))]
            return {f"k{i}\"": value(depth + 1) for i in range(rng.randrange(5))}

        def expected(item):
            if isinstance(item, dict):
                return 1 + sum(1 + expected(v) for v in item.values())
            if isinstance(item, list):
                return 1 + sum(map(expected, item))
            return 1

        for _ in range(500):
            item = [value()]
            for text in (json.dumps(item), json.dumps(item, indent=2, ensure_ascii=False)):
                n = expected(item)
                self.assertEqual(count_values(text.encode()), n, text)
                self.assertTrue(values_over(text.encode(), n - 1), text)
                self.assertFalse(values_over(text.encode(), n), text)

    def test_an_unterminated_string_is_scanned_once(self):
        body = b'["' + b'\\"' * 500_000  # each quote would otherwise start a scan to the end
        started = time.monotonic()
        self.assertFalse(values_over(body, 1000))
        self.assertLess(time.monotonic() - started, 1.0)

    def test_the_count_costs_little_next_to_parsing_an_ordinary_body(self):
        body = realistic_json(MiB)
        self.assertLess(count_values(body), 200_000)  # under the default: the bound settles it

        def best(fn):
            times = []
            for _ in range(5):
                started = time.perf_counter()
                fn()
                times.append(time.perf_counter() - started)
            return min(times)

        scan, parse = best(lambda: values_over(body, 200_000)), best(lambda: json.loads(body))
        print(f"\n      1 MiB of realistic JSON: count {scan * 1000:.1f} ms, "
              f"json.loads {parse * 1000:.1f} ms", end=" ")
        self.assertLess(scan, parse * 0.5)


if __name__ == "__main__":
    unittest.main()
