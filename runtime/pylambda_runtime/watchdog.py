"""The one thread that answers 504 for calls whose handler runs past its deadline."""

import math
import threading
import time
import traceback

from .calls import Call
from .logs import log, log_call
from .state import Runtime


# The watchdog wakes at least this often, even with no call in flight, so that its heartbeat
# shows it can still run (a wedged one would time no call out).
HEARTBEAT_SECONDS = 1.0


class Watchdog:
    """Answers 504 at the deadline of a call whose handler is still running.

    Handlers run inline on their connection's thread (no thread per call). One watchdog
    thread sleeps until the earliest deadline of the calls in flight. A call is claimed under
    one lock, by its connection when the handler returns (finish) or by the watchdog at the
    deadline; the watchdog writes the 504 (with Connection: close) while still holding that
    lock, then shuts the connection's sending side, so a late handler's answer is dropped and
    its thread closes the connection when the handler finally returns."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._active: set = set()
        self._wake_at = math.inf  # deadline the watchdog sleeps until (a past call's is fine)
        self.heartbeat = time.monotonic()  # when the watchdog last ran: /livez checks it
        threading.Thread(target=self._run, name="watchdog", daemon=True).start()

    def start(self, call: Call) -> None:
        with self._lock:
            self._active.add(call)
            if call.deadline < self._wake_at:  # rare: only when nothing earlier is awaited
                self._wake_at = call.deadline
                self._cond.notify()

    def finish(self, call: Call) -> bool:
        """True if the connection answers the call; False if the watchdog already did."""
        with self._lock:
            if call in self._active:
                self._active.remove(call)
                return True
            return False

    def _run(self) -> None:
        with self._cond:
            while True:
                now = self.heartbeat = time.monotonic()
                if self._wake_at > now:
                    self._cond.wait(min(self._wake_at - now, HEARTBEAT_SECONDS))
                    continue
                due = [call for call in self._active if call.deadline <= now]
                self._active.difference_update(due)
                self._wake_at = min((call.deadline for call in self._active), default=math.inf)
                answered = [(call, *self._answer(call, now)) for call in due]
                if answered:
                    self._cond.release()  # logs (only queued) need not hold up the calls
                    try:
                        for call, response, failure in answered:
                            self._logged(call, response, failure, now - call.started)
                    finally:
                        self._cond.acquire()

    @staticmethod
    def _answer(call: Call, now: float):
        """(the 504 sent, None), or (None, the traceback of what failed)."""
        try:  # the watchdog must survive anything, or no call would time out any more
            return call.conn.send_timeout(call, now - call.started), None
        except Exception:
            return None, traceback.format_exc()

    def _logged(self, call: Call, response, failure, seconds: float) -> None:
        try:
            if response is not None:
                log_call(call.method, call.path, response, seconds, call.request_id)
            else:
                log("error", "runtime error answering a timeout", requestId=call.request_id,
                    traceback=failure)
        finally:
            self.runtime.metrics.call_finished()
