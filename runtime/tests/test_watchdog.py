"""The watchdog in-process: which calls it answers, when, and that it survives a failure."""

import io
import sys
import threading
import time
import unittest
from unittest import mock

from runtime.pylambda_runtime.bodies import Response
from runtime.pylambda_runtime.calls import Call
from runtime.pylambda_runtime.logs import flush_logs
from runtime.pylambda_runtime.watchdog import Watchdog
from runtime.tests.harness import start

# What a handler returns is dropped once the call is answered: a finalizer of it is the
# handler's code too, and one that blocks must not hold the call past its deadline unseen.
FINALIZING_HANDLER = """
import time


class SlowToFree:
    def __del__(self):
        time.sleep(3)


def handler(event, context):
    if context.path == "/object":
        return SlowToFree()  # not JSON: a 500 InvalidReturn, then freed
    if context.path == "/generator":
        def stream():
            try:
                yield b"part"
            finally:
                time.sleep(3)
        started = stream()
        next(started)
        return started
    if context.path == "/raised":
        keep = SlowToFree()  # freed with the exception's traceback
        raise ValueError("bad")
    return "ok"
"""


class FakeMetrics:
    def __init__(self):
        self.finished = 0

    def call_finished(self):
        self.finished += 1


class FakeConnection:
    """Records when the watchdog answered it; raises instead if told to."""

    def __init__(self, fail=False):
        self.fail, self.answered_at = fail, None
        self.answered = threading.Event()

    def send_timeout(self, call, seconds):
        if self.fail:
            raise RuntimeError("broken connection object")
        self.answered_at = time.monotonic()
        self.answered.set()
        return Response(504, [], b"", {"msg": "handler timed out", "error": "late"})


class WatchdogTest(unittest.TestCase):
    def setUp(self):
        patcher = mock.patch.object(sys, "stdout", io.StringIO())
        self.out = patcher.start()
        self.addCleanup(patcher.stop)
        self.addCleanup(flush_logs)
        self.metrics = FakeMetrics()
        self.watchdog = Watchdog(mock.Mock(metrics=self.metrics))

    def start(self, seconds, conn=None):
        now = time.monotonic()
        call = Call(conn or FakeConnection(), "id", now, now + seconds, "GET", "/")
        self.watchdog.start(call)
        return call

    def test_each_call_is_answered_at_its_deadline_even_an_earlier_one_started_later(self):
        late = self.start(0.6)
        time.sleep(0.05)  # the watchdog now sleeps until the late call's deadline
        early = self.start(0.1)
        self.assertTrue(early.conn.answered.wait(5))
        self.assertFalse(late.conn.answered.is_set())
        self.assertGreaterEqual(early.conn.answered_at, early.deadline)
        self.assertTrue(late.conn.answered.wait(5))
        self.assertGreaterEqual(late.conn.answered_at, late.deadline)
        self.assertFalse(self.watchdog.finish(early), "an answered call is not the connection's")
        self.assertFalse(self.watchdog.finish(late))
        deadline = time.monotonic() + 5
        while self.metrics.finished < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(self.metrics.finished, 2)
        flush_logs()
        self.assertEqual(self.out.getvalue().count('"status": 504'), 2)

    def test_a_call_finished_in_time_is_never_answered_by_the_watchdog(self):
        call = self.start(0.1)
        self.assertTrue(self.watchdog.finish(call))
        time.sleep(0.3)
        self.assertFalse(call.conn.answered.is_set())
        self.assertEqual(self.metrics.finished, 0)

    def test_the_watchdog_survives_a_failure_to_answer(self):
        broken = self.start(0.05, FakeConnection(fail=True))
        time.sleep(0.2)
        self.assertFalse(self.watchdog.finish(broken))
        deadline = time.monotonic() + 5
        while self.metrics.finished < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        flush_logs()
        self.assertIn("runtime error answering a timeout", self.out.getvalue())
        call = self.start(0.05)
        self.assertTrue(call.conn.answered.wait(5), "the watchdog stopped working")

    def test_a_stuck_stdout_does_not_hold_up_the_next_deadline(self):
        released = threading.Event()
        self.addCleanup(flush_logs)
        self.addCleanup(released.set)
        stuck = mock.Mock(write=lambda text: released.wait(10), flush=lambda: None)
        with mock.patch.object(sys, "stdout", stuck):
            first = self.start(0.05)
            second = self.start(0.4)
            self.assertTrue(first.conn.answered.wait(5))
            self.assertTrue(second.conn.answered.wait(2), "the watchdog was stuck writing logs")
            self.assertLess(second.conn.answered_at - second.deadline, 0.2)


class FinalizerTest(unittest.TestCase):
    def test_a_finalizer_of_what_the_handler_returned_or_raised_runs_under_its_deadline(self):
        runtime = start(self, {"main.py": FINALIZING_HANDLER}, {"PYLAMBDA_TIMEOUT_SECONDS": "1"})
        runtime.wait_healthy()
        for path in ("/object", "/generator", "/raised"):
            with self.subTest(path):
                reply = runtime.request("GET", path, headers={"X-Request-Id": "fin" + path})
                self.assertEqual(reply.status, 504, reply.body)
                runtime.wait_for_log(lambda r: r.get("msg") == "timed-out call finished" and
                                     r.get("requestId") == "fin" + path)
        self.assertEqual(runtime.metrics()["pylambda_abandoned_invocations"], 0)


if __name__ == "__main__":
    unittest.main()
