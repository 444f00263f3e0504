"""What a handler prints, through a real runtime process and its stdout pipe: every line the
runtime writes stays one whole JSON line, and the handler's text stays visible."""

import json
import sys
import threading
import unittest

from runtime.tests.harness import WAIT, start

PRINTER = """
import sys


def handler(event, context):
    n = context.query.get("n", "0")
    for i in range(20):
        print("printed", n, i, "a" * 50, sep=" ", end="\\n")
        print("to stderr", n, i, file=sys.stderr)
    sys.stdout.write("in ")
    sys.stdout.write("three ")
    sys.stdout.write("writes " + n + "\\n")
    print("unfinished", n, end="", flush=True)
    print(" then ended", n)
    return {"n": n}
"""

THREADS, CALLS = 8, 25


class HandlerOutputTest(unittest.TestCase):
    def test_concurrent_printing_never_breaks_a_runtime_log_line(self):
        process = start(self, {"main.py": PRINTER})
        process.wait_healthy()
        failures = []

        def client(t: int) -> None:
            for c in range(CALLS):
                n = f"{t}-{c}"
                reply = process.request("GET", f"/?n={n}", headers={"X-Request-Id": f"r{n}"})
                if reply.status != 200:
                    failures.append((n, reply.status))

        threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT * 3)
        self.assertEqual(failures, [])
        last = f"r{THREADS - 1}-{CALLS - 1}"
        process.wait_for_log(lambda r: r.get("requestId") == last)
        process.signal()
        self.assertEqual(process.wait_exit(), 0)

        runtime_lines, printed = [], []
        for line in process.stdout:
            if line.startswith("{"):
                runtime_lines.append(json.loads(line))  # a broken line fails here
            else:
                printed.append(line)
        calls = [r for r in runtime_lines if r["msg"] == "call"]
        self.assertEqual(len(calls), THREADS * CALLS)
        expected = set()
        for t in range(THREADS):
            for c in range(CALLS):
                n = f"{t}-{c}"
                expected.update(f"printed {n} {i} {'a' * 50}" for i in range(20))
                expected.update([f"in three writes {n}", f"unfinished {n} then ended {n}"])
        self.assertEqual(len(printed), len(expected))
        self.assertEqual(set(printed), expected)
        self.assertEqual(len(process.stderr), THREADS * CALLS * 20)
        self.assertTrue(all(line.startswith("to stderr ") for line in process.stderr))


if __name__ == "__main__":
    unittest.main()
