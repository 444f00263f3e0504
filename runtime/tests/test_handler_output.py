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


BYTES_WRITER = """
import sys


def handler(event, context):
    sys.stdout.buffer.write(b"raw bytes, ")
    sys.stdout.buffer.write(b"no newline yet")
    sys.stdout.buffer.flush()
    sys.stderr.buffer.write(b"to stderr's buffer\\n")
    return "ok"
"""


class BinaryOutputTest(unittest.TestCase):
    def test_writing_to_sys_stdout_buffer_never_breaks_a_runtime_log_line(self):
        # Libraries write bytes to sys.stdout.buffer; written as they come, they would land
        # at the start of the call's own JSON line.
        process = start(self, {"main.py": BYTES_WRITER})
        process.wait_healthy()
        for n in range(2):
            self.assertEqual(process.request("GET", f"/{n}").status, 200)
        process.signal()
        self.assertEqual(process.wait_exit(), 0)
        printed = [line for line in process.stdout if not line.startswith("{")]
        calls = [json.loads(line) for line in process.stdout if line.startswith("{")
                 and json.loads(line)["msg"] == "call"]  # a broken line fails here
        self.assertEqual(len(calls), 2, process.output())
        # each call's thread ends its own unfinished line at exit, unless a thread id recurs
        self.assertEqual("".join(printed), "raw bytes, no newline yet" * 2)
        self.assertEqual(process.stderr, ["to stderr's buffer"] * 2)


REWRAPPER = """
import io
import sys


def handler(event, context):
    if context.path == "/rewrap":  # a common idiom to make print() write UTF-8
        sys.stdout = io.TextIOWrapper(sys.stdout.detach(), encoding="utf-8", line_buffering=True)
    elif context.path == "/unfinished":  # on the rewrapped stream's buffer, written at exit
        sys.stdout.buffer.write(b"unfinished at exit")
        return "ok"
    elif context.path == "/close":
        sys.stdout.close()
        sys.stdout.buffer.close()
        sys.stderr.close()
    print("printed on", context.path)
    return "ok"
"""


class StreamOwnershipTest(unittest.TestCase):
    def test_a_handler_that_detaches_or_closes_stdout_does_not_silence_the_runtime(self):
        # The runtime's JSON lines go to the same stream: detached or closed by the handler,
        # every later line, calls and errors alike, would be dropped without a trace.
        process = start(self, {"main.py": REWRAPPER})
        process.wait_healthy()
        paths = ["/rewrap", "/after", "/close", "/after-close"]
        for path in paths + ["/unfinished"]:
            self.assertEqual(process.request("GET", path).status, 200)
        process.signal()
        self.assertEqual(process.wait_exit(), 0)
        calls = [json.loads(line)["path"] for line in process.stdout if line.startswith("{")
                 and json.loads(line)["msg"] == "call"]
        self.assertEqual(calls, paths + ["/unfinished"], process.output())
        printed = [line for line in process.stdout if not line.startswith("{")]
        self.assertEqual(printed, [f"printed on {path}" for path in paths] + ["unfinished at exit"])


if __name__ == "__main__":
    unittest.main()
