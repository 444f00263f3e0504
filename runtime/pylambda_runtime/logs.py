"""The runtime's log lines: one JSON object per line on stdout, written by one thread.

A call's thread and the timeout watchdog only queue their lines, so a slow stdout (a log
shipper that falls behind) never delays an answer or a 504.
"""

import json
import sys
import threading
import time
from collections import deque
from json.encoder import encode_basestring_ascii as json_str  # what json.dumps uses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bodies import Response

_log_queue: deque = deque()  # lines not written yet, in order; only the log writer pops
_log_wake = threading.Event()  # set when lines are queued, cleared by the log writer
_log_writing = False  # the log writer holds lines it has taken but not written yet
_log_dropped = [0, threading.Lock()]  # lines refused because the queue was full
_log_queued = [0]  # characters in the queue, under _log_dropped's lock
_log_fields: dict = {}  # function (and namespace), on every line once settings are known
_log_common = ""  # the same fields as JSON, for the lines of calls
_ts_second = (0, "")  # the last second formatted, and its text
MAX_QUEUED_LINES = 10000  # past this, new lines are dropped (and counted) until there is room
# And past this many characters (the lines are ASCII JSON: bytes), whatever the count: a call's
# line holds its path, up to 64 KiB and six characters a byte once escaped (\u00ff), a failed
# call's whatever the handler's error says, so 10,000 lines alone could be gigabytes.
MAX_QUEUED_CHARS = 16 << 20
# Held for every write to stdout, the log writer's and the handler's (output.py), so that a
# handler's print() never lands inside one of the runtime's JSON lines.
OUTPUT_LOCK = threading.Lock()
_stdout = None  # where the runtime's lines go once output.py wraps sys.stdout; else sys.stdout


def write_runtime_lines_to(stream) -> None:
    global _stdout
    _stdout = stream


def set_log_fields(**fields: str) -> None:
    global _log_common
    _log_fields.update(fields)
    _log_common = "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in _log_fields.items())


def timestamp() -> str:
    """UTC, to the millisecond: 2026-11-26T08:00:00.123Z (the date part formatted once a second)."""
    global _ts_second
    now, cached = time.time(), _ts_second  # one read: other threads may replace it
    second = int(now)
    if cached[0] != second:
        cached = _ts_second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{int((now - second) * 1000):03d}Z"


def write_line(line: str) -> None:
    """Queue a line for stdout. Only the log writer thread writes, so no caller (a call's
    thread, the watchdog) ever waits on a slow stdout; a line that finds the queue full is
    dropped and counted rather than waited for."""
    with _log_dropped[1]:
        if len(_log_queue) >= MAX_QUEUED_LINES or (
                _log_queued[0] + len(line) > MAX_QUEUED_CHARS and _log_queue):  # one always fits
            _log_dropped[0] += 1
            return
        _log_queued[0] += len(line)
        _log_queue.append(line)
    if not _log_wake.is_set():  # set already while the writer has not caught up
        _log_wake.set()


def _write_logs() -> None:
    """The log writer: whatever is queued, in one write, then the same again."""
    global _log_writing
    while True:
        _log_wake.wait()
        _log_wake.clear()  # before taking lines: one queued after this sets it again
        _log_writing = True
        try:
            while _log_queue:
                batch = [_log_queue.popleft() for _ in range(len(_log_queue))]
                with _log_dropped[1]:
                    dropped, _log_dropped[0] = _log_dropped[0], 0
                    _log_queued[0] -= sum(map(len, batch))
                if dropped:
                    batch.append(json.dumps({"ts": timestamp(), "level": "warning",
                                             "msg": "log lines dropped: stdout is too slow",
                                             "dropped": dropped, **_log_fields}) + "\n")
                try:
                    with OUTPUT_LOCK:
                        out = _stdout or sys.stdout
                        out.write("".join(batch))
                        out.flush()
                except Exception:
                    pass  # a closed or broken stdout must not stop the writer
        finally:
            _log_writing = False


def flush_logs(timeout: float = 5.0) -> bool:
    """Wait (polling, so safe in a signal handler) until every queued line is written."""
    deadline = time.monotonic() + timeout
    while (_log_queue or _log_writing) and time.monotonic() < deadline:
        time.sleep(0.002)
    return not (_log_queue or _log_writing)


threading.Thread(target=_write_logs, name="log-writer", daemon=True).start()


def log(level: str, msg: str, **fields: Any) -> None:
    """One JSON object per line on stdout, the stream `kubectl logs` and log shippers read."""
    line = json.dumps({"ts": timestamp(), "level": level, "msg": msg, **_log_fields, **fields},
                      default=str)
    write_line(line + "\n")


def log_call(method: str, path: str, response: "Response", seconds: float, request_id: str):
    """The line of one answered call (path without the query, which may carry secrets). A
    successful call's line is formatted directly: the same JSON as log() writes, at a
    fraction of the cost."""
    if not response.failure:
        return write_line(
            f'{{"ts": "{timestamp()}", "level": "info", "msg": "call"{_log_common}, '
            f'"method": {json_str(method)}, "path": {json_str(path)}, '
            f'"status": {int(response.status)}, "durationMs": {round(seconds * 1000, 1)!r}, '
            f'"requestId": {json_str(request_id)}}}\n'
        )
    fields = {"msg": "call", **response.failure}
    log("error", fields.pop("msg"), method=method, path=path, status=response.status,
        durationMs=round(seconds * 1000, 1), requestId=request_id, **fields)


class ThrottledLog:
    """A warning about something a client can make happen thousands of times a second (a
    flood of connections, of malformed or timed-out requests): logged at most once per
    `seconds`, with how often it happened since, so that no client can flood the pod's log.
    Shared by connection threads, hence the lock."""

    def __init__(self, msg: str, seconds: float = 10.0):
        self.msg, self.seconds = msg, seconds
        self.next_at, self.unlogged = 0.0, 0
        self._lock = threading.Lock()

    def __call__(self, **fields) -> None:
        now = time.monotonic()
        with self._lock:
            self.unlogged += 1
            if now < self.next_at:
                return
            self.next_at, times, self.unlogged = now + self.seconds, self.unlogged, 0
        log("warning", self.msg, times=times, **fields)
