"""The log writer in-process: call lines formatted by hand, and batched writes."""

import io
import json
import sys
import threading
import time
import unittest
from unittest import mock

from runtime.pylambda_runtime import logs
from runtime.pylambda_runtime.bodies import Response


class CallLineTest(unittest.TestCase):
    def setUp(self):
        saved = dict(logs._log_fields), logs._log_common
        self.addCleanup(self.restore, saved)
        self.out = io.StringIO()
        patcher = mock.patch.object(sys, "stdout", self.out)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.addCleanup(logs.flush_logs)

    @staticmethod
    def restore(saved):
        logs._log_fields.clear()
        logs._log_fields.update(saved[0])
        logs._log_common = saved[1]

    def test_a_call_line_is_what_json_dumps_writes(self):
        logs.set_log_fields(function="fn \"quoted\"", namespace="team-ü")
        cases = [("GET", "/", 200, 0.0004, "abc"), ("POST", "/caf\xe9/\x01\"x\"", 204, 12.3456, "r" * 200),
                 ("PURGE", "/a b", 599, 1234.5, "id-\u2603")]
        for method, path, status, seconds, request_id in cases:
            logs.log_call(method, path, Response(status, []), seconds, request_id)
        logs.flush_logs()
        lines = self.out.getvalue().splitlines()
        self.assertEqual(len(lines), len(cases))
        for line, (method, path, status, seconds, request_id) in zip(lines, cases):
            ts = json.loads(line)["ts"]
            self.assertRegex(ts, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            expected = {"ts": ts, "level": "info", "msg": "call", "function": "fn \"quoted\"",
                        "namespace": "team-ü", "method": method, "path": path, "status": status,
                        "durationMs": round(seconds * 1000, 1), "requestId": request_id}
            self.assertEqual(line, json.dumps(expected))

    def test_a_failed_call_line_carries_the_failure(self):
        logs.set_log_fields(function="fn")
        failure = {"msg": "handler raised an exception", "error": "boom", "type": "ValueError",
                   "traceback": "Traceback ..."}
        logs.log_call("GET", "/x", Response(500, [], b"", failure), 0.01, "id")
        logs.flush_logs()
        record = json.loads(self.out.getvalue())
        self.assertEqual((record["level"], record["msg"], record["type"], record["status"]),
                         ("error", "handler raised an exception", "ValueError", 500))

    def test_the_timestamp_is_utc_to_the_millisecond(self):
        before = time.time()
        ts = logs.timestamp()
        parsed = time.mktime(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        self.assertLess(abs(parsed + int(ts[20:23]) / 1000 - before), 1.0)


class SlowStdout:
    """A stdout whose writes take a while, so concurrent lines queue up."""

    def __init__(self):
        self.writes = []

    def write(self, text):
        time.sleep(0.001)
        self.writes.append(text)

    def flush(self):
        pass


class WriteLineTest(unittest.TestCase):
    def test_concurrent_lines_are_all_written_whole_and_in_order(self):
        out = SlowStdout()
        with mock.patch.object(sys, "stdout", out):
            def emit(name):
                for i in range(200):
                    logs.write_line(f"{name} {i}\n")

            threads = [threading.Thread(target=emit, args=(f"t{n}",)) for n in range(5)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(10)
            logs.flush_logs()
        self.assertTrue(all(text.endswith("\n") for text in out.writes))
        lines = "".join(out.writes).splitlines()
        self.assertEqual(len(lines), 1000)
        for n in range(5):
            mine = [int(line.split()[1]) for line in lines if line.startswith(f"t{n} ")]
            self.assertEqual(mine, list(range(200)))
        self.assertLess(len(out.writes), 1000, "lines were never batched")

    def test_a_closed_stdout_does_not_raise(self):
        closed = io.StringIO()
        closed.close()
        with mock.patch.object(sys, "stdout", closed):
            logs.write_line("lost\n")
            logs.log("info", "also lost")
            self.assertTrue(logs.flush_logs())
        with mock.patch.object(sys, "stdout", io.StringIO()) as out:
            logs.write_line("the writer still writes\n")
            logs.flush_logs()
        self.assertEqual(out.getvalue(), "the writer still writes\n")

    def test_only_the_log_writer_thread_writes_and_a_stuck_stdout_blocks_no_caller(self):
        out = BlockingStdout()
        self.addCleanup(logs.flush_logs)
        self.addCleanup(out.release.set)
        with mock.patch.object(sys, "stdout", out):
            logs.write_line("first\n")
            self.assertTrue(out.entered.wait(5))
            started = time.monotonic()
            for i in range(100):
                logs.write_line(f"queued {i}\n")
            self.assertLess(time.monotonic() - started, 0.5, "a caller waited on stdout")
            out.release.set()
            self.assertTrue(logs.flush_logs())
        self.assertEqual(out.threads, {"log-writer"})
        self.assertEqual("".join(out.writes).count("queued"), 100)

    def test_lines_past_the_bound_are_dropped_and_counted(self):
        out = BlockingStdout()
        self.addCleanup(logs.flush_logs)
        self.addCleanup(out.release.set)
        with mock.patch.object(sys, "stdout", out), mock.patch.object(logs, "MAX_QUEUED_LINES", 10):
            logs.write_line("first\n")
            self.assertTrue(out.entered.wait(5))
            for i in range(15):
                logs.write_line(f"queued {i}\n")
            out.release.set()
            self.assertTrue(logs.flush_logs())
        text = "".join(out.writes)
        self.assertEqual(text.count("queued"), 10)
        warning = json.loads(text.splitlines()[-1])
        self.assertEqual((warning["msg"], warning["dropped"]),
                         ("log lines dropped: stdout is too slow", 5))

    def test_lines_past_the_bound_in_characters_are_dropped_and_counted(self):
        # A call's line holds its path, up to 64 KiB and six characters a byte once escaped;
        # a failed call's, whatever the handler's error says: 10,000 such lines waiting on a
        # slow stdout would take gigabytes.
        out = BlockingStdout()
        self.addCleanup(logs.flush_logs)
        self.addCleanup(out.release.set)
        big = "x" * (1 << 20)
        with mock.patch.object(sys, "stdout", out), \
                mock.patch.object(logs, "MAX_QUEUED_CHARS", 4 << 20):
            logs.write_line("first\n")
            self.assertTrue(out.entered.wait(5))
            for i in range(20):
                logs.write_line(f"queued {i} {big}\n")
            out.release.set()
            self.assertTrue(logs.flush_logs())
        text = "".join(out.writes)
        self.assertEqual(text.count("queued"), 3)
        warning = json.loads(text.splitlines()[-1])
        self.assertEqual((warning["msg"], warning["dropped"]),
                         ("log lines dropped: stdout is too slow", 17))
        with mock.patch.object(sys, "stdout", io.StringIO()) as out:
            logs.write_line("the bound is free again\n")
            self.assertTrue(logs.flush_logs())
        self.assertEqual(out.getvalue(), "the bound is free again\n")
        self.assertEqual(logs._log_queued[0], 0)


class BlockingStdout:
    """A stdout whose writes wait until released (a log reader that stopped reading)."""

    def __init__(self):
        self.writes, self.threads = [], set()
        self.entered, self.release = threading.Event(), threading.Event()

    def write(self, text):
        self.threads.add(threading.current_thread().name)
        self.entered.set()
        self.release.wait(10)
        self.writes.append(text)

    def flush(self):
        pass


if __name__ == "__main__":
    unittest.main()
