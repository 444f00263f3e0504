#!/usr/bin/env python3
"""pylambda runtime: serve one Python function, handler(event, context), over HTTP.

The operator ships this file in a ConfigMap so that the stock python:<v>-slim image runs
it with no image build: hence one file, standard library only, Python 3.10+. Settings come
from PYLAMBDA_* environment variables (or a settings.json beside this file, which the
annotated-Deployment path ships). The contract for handler authors (event, context,
return forms, status codes, settings) is in runtime/README.md.
"""

import errno
import importlib
import inspect
import json
import io
import math
import os
import re
import resource
import signal
import site
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import accumulate
from json.encoder import encode_basestring_ascii as json_str  # what json.dumps uses
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

JSON_TYPE = "application/json"
JSON_BODY = json.JSONEncoder(ensure_ascii=False, allow_nan=False)  # stateless, shared by calls
HANDLER_SPEC = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a token (RFC 9110 5.1)
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # never in a field line, but HTAB (RFC 9110 5.5)
HTTP_VERSION = re.compile(r"HTTP/[0-9]{1,3}\.[0-9]{1,3}")
REQUEST_ID = re.compile(r"[\x21-\x7e]{1,200}")  # printable, so safe to echo as a header
STATUS_LINES = {code: f"HTTP/1.1 {code} {phrase}\r\n"
                for code, (phrase, _) in BaseHTTPRequestHandler.responses.items()}
_http_date = (0, "")


def http_date() -> str:
    """The Date header's value, formatted once a second rather than once a call."""
    global _http_date
    now, cached = int(time.time()), _http_date  # one read: other threads may replace it
    if cached[0] != now:
        cached = _http_date = (now, formatdate(now, usegmt=True))
    return cached[1]

# ---------------------------------------------------------------- logs and settings

_log_queue: deque = deque()  # lines not written yet, in order; only the log writer pops
_log_wake = threading.Event()  # set when lines are queued, cleared by the log writer
_log_writing = False  # the log writer holds lines it has taken but not written yet
_log_dropped = [0, threading.Lock()]  # lines refused because the queue was full
_log_fields: dict = {}  # function (and namespace), on every line once settings are known
_log_common = ""  # the same fields as JSON, for the lines of calls
_ts_second = (0, "")  # the last second formatted, and its text
MAX_QUEUED_LINES = 10000  # past this, new lines are dropped (and counted) until there is room


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
    if len(_log_queue) >= MAX_QUEUED_LINES:
        with _log_dropped[1]:
            _log_dropped[0] += 1
        return
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
                if dropped:
                    batch.append(json.dumps({"ts": timestamp(), "level": "warning",
                                             "msg": "log lines dropped: stdout is too slow",
                                             "dropped": dropped, **_log_fields}) + "\n")
                try:
                    sys.stdout.write("".join(batch))
                    sys.stdout.flush()
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


class SettingsError(Exception):
    """A PYLAMBDA_* variable we cannot use; carries its name for the log line."""

    def __init__(self, variable: str, message: str):
        super().__init__(message)
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    handler: str
    code_dir: str
    deps_dir: Optional[str]
    host: str
    port: int
    timeout_seconds: float
    drain_seconds: float
    max_body_bytes: int
    header_timeout_seconds: float
    max_connections: int
    function_name: str
    namespace: str


def _number(env, name, default, convert, valid, rule):
    """One numeric variable; empty means the default (manifests often render unset as "")."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = convert(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or not valid(value):
        raise SettingsError(name, f"{name}={raw!r} is invalid: expected {rule}")
    return value


def default_max_connections() -> int:
    """Half the file-descriptor limit (1024 in many container runtimes), at most 256: every
    connection is a descriptor and a thread, and the rest are left to the handler."""
    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (OSError, ValueError):
        soft = resource.RLIM_INFINITY
    if soft == resource.RLIM_INFINITY:
        return 256
    return max(1, min(256, soft // 2))


def load_settings(env) -> Settings:
    """Validate every setting up front, so a typo fails the pod at start rather than per call."""
    handler = env.get("PYLAMBDA_HANDLER", "").strip() or "main.handler"
    if not HANDLER_SPEC.fullmatch(handler):
        message = f"PYLAMBDA_HANDLER={handler!r} is invalid: expected module.function"
        raise SettingsError("PYLAMBDA_HANDLER", message)
    code_dir = os.path.abspath(env.get("PYLAMBDA_CODE_DIR", "").strip() or os.getcwd())
    if not os.path.isdir(code_dir):
        message = f"PYLAMBDA_CODE_DIR={code_dir!r} is not a directory"
        raise SettingsError("PYLAMBDA_CODE_DIR", message)
    deps_dir = env.get("PYLAMBDA_DEPS_DIR", "").strip()
    return Settings(
        handler=handler,
        code_dir=code_dir,
        deps_dir=os.path.abspath(deps_dir) if deps_dir else None,
        host=env.get("PYLAMBDA_HOST", "").strip() or "0.0.0.0",
        port=_number(env, "PYLAMBDA_PORT", 8080, int, lambda v: 0 <= v <= 65535, "0-65535"),
        timeout_seconds=_number(env, "PYLAMBDA_TIMEOUT_SECONDS", 30.0, float, lambda v: v > 0,
                                "seconds > 0"),
        drain_seconds=_number(env, "PYLAMBDA_DRAIN_SECONDS", 0.0, float, lambda v: v >= 0,
                              "seconds >= 0"),
        max_body_bytes=_number(env, "PYLAMBDA_MAX_BODY_BYTES", 6 << 20, int, lambda v: v > 0,
                               "bytes > 0"),
        header_timeout_seconds=_number(env, "PYLAMBDA_HEADER_TIMEOUT_SECONDS", 10.0, float,
                                       lambda v: v > 0, "seconds > 0"),
        max_connections=_number(env, "PYLAMBDA_MAX_CONNECTIONS", default_max_connections(), int,
                                lambda v: v > 0, "connections > 0"),
        function_name=env.get("PYLAMBDA_FUNCTION_NAME", "").strip() or handler,
        namespace=env.get("PYLAMBDA_NAMESPACE", "").strip(),
    )


# ---------------------------------------------------------------- state and metrics


class Metrics:
    """Prometheus series kept by hand (the stdlib has no client), and the in-flight count
    that shutdown waits on, under one lock."""

    BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

    def __init__(self):
        self._lock = threading.Lock()
        self.by_code: dict = {}
        self.errors = self.timeouts = self.inflight = self.abandoned = self.count = 0
        self.connections = self.refused_connections = self.accept_errors = 0
        self.unfinished = 0  # calls whose response is not written yet: what shutdown waits on
        self.buckets, self.seconds = [0] * (len(self.BUCKETS) + 1), 0.0  # per bucket, +Inf last

    def call_started(self) -> None:
        with self._lock:
            self.inflight += 1
            self.unfinished += 1

    def call_answered(self, status: int, seconds: float, failed: bool) -> None:
        """Counted before the response is written, so a client that got it sees it counted
        (and no longer in flight)."""
        with self._lock:
            self.inflight -= 1
            self.by_code[status] = self.by_code.get(status, 0) + 1
            self.errors += failed
            self.count, self.seconds = self.count + 1, self.seconds + seconds
            self.buckets[bisect_left(self.BUCKETS, seconds)] += 1

    def call_finished(self) -> None:
        """Once its response is written (or the call failed for good): shutdown may exit."""
        with self._lock:
            self.unfinished -= 1

    def call_abandoned(self, delta: int) -> None:
        """+1 when a call times out while still running, -1 when it finally returns."""
        with self._lock:
            self.abandoned += delta
            self.timeouts += max(delta, 0)

    def connection_opened(self, limit: int) -> bool:
        """Count a connection in, unless `limit` are open already (then count it refused)."""
        with self._lock:
            if self.connections >= limit:
                self.refused_connections += 1
                return False
            self.connections += 1
            return True

    def connection_closed(self) -> None:
        with self._lock:
            self.connections -= 1

    def accept_failed(self) -> None:
        with self._lock:
            self.accept_errors += 1

    def wait_idle(self, timeout: float) -> bool:
        """Polled, so that calls never pay for waking a waiter that only shutdown needs."""
        deadline = time.monotonic() + timeout
        while self.unfinished and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.unfinished

    def render(self, ready: bool) -> str:
        """The Prometheus text format 0.0.4: per family its HELP, TYPE and samples."""
        lines = []

        def family(name, kind, text, samples):
            lines.extend([f"# HELP {name} {text}", f"# TYPE {name} {kind}"])
            lines.extend(f"{name}{labels} {value}" for labels, value in samples)

        with self._lock:
            cumulative = list(accumulate(self.buckets))
            hist = [(f'_bucket{{le="{b}"}}', n) for b, n in zip(self.BUCKETS, cumulative)]
            family("pylambda_invocations_total", "counter",
                   "Calls (every request but GET /healthz and /metrics) by HTTP status.",
                   [(f'{{code="{c}"}}', n) for c, n in sorted(self.by_code.items())])
            family("pylambda_invocation_errors_total", "counter",
                   "Calls whose handler raised, timed out or returned an unencodable value.",
                   [("", self.errors)])
            family("pylambda_invocation_timeouts_total", "counter",
                   "Calls answered 504 because the handler ran past the timeout.",
                   [("", self.timeouts)])
            family("pylambda_invocation_duration_seconds", "histogram",
                   "Seconds from request received to response ready.",
                   hist + [('_bucket{le="+Inf"}', self.count), ("_sum", round(self.seconds, 6)),
                           ("_count", self.count)])
            family("pylambda_inflight_invocations", "gauge", "Calls being answered now.",
                   [("", self.inflight)])
            family("pylambda_abandoned_invocations", "gauge",
                   "Timed-out handler calls still running in the background.",
                   [("", self.abandoned)])
            family("pylambda_handler_ready", "gauge", "1 once the handler imported, else 0.",
                   [("", int(ready))])
            family("pylambda_open_connections", "gauge", "Client connections open now.",
                   [("", self.connections)])
            family("pylambda_refused_connections_total", "counter",
                   "Connections answered 503 because PYLAMBDA_MAX_CONNECTIONS were open.",
                   [("", self.refused_connections)])
            family("pylambda_accept_errors_total", "counter",
                   "Failures to accept a connection (out of file descriptors, memory).",
                   [("", self.accept_errors)])
        return "\n".join(lines) + "\n"


class Runtime:
    """Process-wide state: the handler, its readiness, draining, metrics."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.handler = None
        self.state = "importing"  # then "ready" or "import_failed"
        self.reason = f"importing handler {settings.handler}"
        self.draining = False
        self.stop_signal: Optional[str] = None
        self.metrics = Metrics()

    def import_handler(self) -> None:
        """Runs on its own thread so /healthz answers 503 during a slow import. A failure is
        logged once and kept: the pod fails its readiness probe instead of serving 500s."""
        started = time.monotonic()
        module_name, _, attr = self.settings.handler.rpartition(".")
        try:
            handler = getattr(importlib.import_module(module_name), attr, None)
            if not callable(handler):
                raise AttributeError(f"module {module_name!r} has no function {attr!r}")
        except BaseException as exc:  # even SystemExit: the server must stay up to say why
            self.reason = f"importing {self.settings.handler} failed: {type(exc).__name__}: {exc}"
            self.state = "import_failed"
            log("error", "handler import failed", handler=self.settings.handler, error=str(exc),
                type=type(exc).__name__, traceback=traceback.format_exc())
            return
        self.handler, self.state, self.reason = handler, "ready", "ok"  # handler set first
        log("info", "handler imported", handler=self.settings.handler,
            importMs=round((time.monotonic() - started) * 1000, 1))


# ---------------------------------------------------------------- calling the handler


@dataclass
class Context:
    """What a handler knows about its call besides the event (see README.md)."""

    method: str
    path: str  # as sent, still percent-encoded, without the query
    query: dict  # name -> last value
    query_list: dict  # name -> every value
    headers: dict  # lower-case names; repeated headers joined with ", "
    body: bytes  # the raw body, e.g. to check a signature
    request_id: str
    function_name: str
    namespace: str
    deadline: float  # Unix time by which the call must return
    _deadline_monotonic: float = field(repr=False)

    def remaining_time_ms(self) -> int:
        """Milliseconds left before the runtime answers 504 (monotonic: immune to clock steps)."""
        return max(0, int((self._deadline_monotonic - time.monotonic()) * 1000))


class Call:
    """One handler call in flight: answered either by its connection's thread (the handler
    returned in time) or by the watchdog (the deadline passed first), never both."""

    __slots__ = ("conn", "request_id", "started", "deadline", "method", "path")

    def __init__(self, conn, request_id: str, started: float, deadline: float, method, path):
        self.conn, self.request_id, self.started, self.deadline = conn, request_id, started, deadline
        self.method, self.path = method, path


class Watchdog:
    """Answers 504 at the deadline of a call whose handler is still running.

    Handlers run inline on their connection's thread (no thread per call). One watchdog
    thread sleeps until the earliest deadline of the calls in flight. A call is claimed under
    one lock, by its connection when the handler returns (finish) or by the watchdog at the
    deadline; the watchdog writes the 504 (with Connection: close) while still holding that
    lock, then shuts the connection's sending side, so a late handler's answer is dropped and
    its thread closes the connection when the handler finally returns."""

    def __init__(self, runtime: "Runtime"):
        self.runtime = runtime
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._active: set = set()
        self._wake_at = math.inf  # deadline the watchdog sleeps until (a past call's is fine)
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
                now = time.monotonic()
                if self._wake_at > now:
                    self._cond.wait(None if self._wake_at == math.inf else self._wake_at - now)
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


# ---------------------------------------------------------------- bodies in and out


class HttpError(Exception):
    """A request refused before the handler is called (bad body); answered as a JSON error."""

    def __init__(self, status: int, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind = status, kind


@dataclass
class Response:
    status: int
    headers: list  # (name, value) pairs, so Set-Cookie can repeat
    body: bytes = b""
    failure: Optional[dict] = None  # log fields when the handler failed (an error in metrics)


def error_response(status: int, kind: str, message: str, request_id: str, failure=None):
    body = json.dumps({"error": message, "type": kind, "requestId": request_id}).encode()
    return Response(status, [("Content-Type", JSON_TYPE)], body, failure)


HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
MAX_CHUNK_LINE = 1024  # a chunk-size line, with any extensions, and each trailer line


def read_chunk_size(rfile) -> int:
    """A chunk-size line: 1 to 16 hex digits, then optionally `;extensions`. Nothing looser
    (no sign, no 0x, no blanks inside), so that we and any proxy before us agree on the body."""
    line = rfile.readline(MAX_CHUNK_LINE)
    if line[-2:] == b"\r\n":
        digits, extension, _ = line[:-2].partition(b";")
        if extension:
            digits = digits.rstrip(b" \t")  # blanks may precede the `;`
        if 0 < len(digits) <= 16 and HEX_DIGITS.issuperset(digits):
            return int(digits, 16)
    raise HttpError(400, "InvalidRequest", "malformed chunked body")


def read_chunked(rfile, limit: int) -> bytes:
    body = bytearray()
    while True:
        size = read_chunk_size(rfile)
        if size == 0:
            break
        if len(body) + size > limit:
            raise HttpError(413, "PayloadTooLarge", f"body exceeds {limit} bytes")
        body += read_exactly(rfile, size)
        if rfile.read(2) != b"\r\n":  # each chunk's data ends with exactly CRLF
            raise HttpError(400, "InvalidRequest", "malformed chunked body")
    for _ in range(MAX_HEADERS + 1):  # trailers, ignored, within the limits of headers
        line = rfile.readline(MAX_CHUNK_LINE)
        if line == b"\r\n":
            return bytes(body)
        if line[-2:] != b"\r\n":  # a bare LF too: the body's end must be unambiguous
            break
    raise HttpError(400, "InvalidRequest", "malformed chunked body")


def read_body(rfile, headers, limit: int) -> bytes:
    """A Content-Length or chunked body (http.server decodes neither); 413 past `limit`."""
    if headers.get("transfer-encoding"):  # framing_problem let only `chunked` through
        return read_chunked(rfile, limit)
    length = headers.get("content-length") or "0"
    if not (length.isascii() and length.isdigit()):
        raise HttpError(400, "InvalidRequest", f"invalid Content-Length {length!r}")
    if int(length) > limit:
        raise HttpError(413, "PayloadTooLarge", f"body of {length} bytes exceeds {limit} bytes")
    return read_exactly(rfile, int(length)) if int(length) else b""


def read_exactly(rfile, size: int) -> bytes:
    """`size` bytes, or 400 if the client hung up or went idle (the socket's receive timeout)
    before sending them all."""
    if size < 0:  # read(-1) would read to the end of the stream
        raise HttpError(400, "InvalidRequest", "negative body length")
    data = rfile.read(size)
    if data is None or len(data) < size:
        raise HttpError(400, "InvalidRequest", "the body ended before its announced length")
    return data


# The charsets a body may name, by their usual names, and the codec each means. Only codecs
# that decode in linear time: Python knows many more, and some (punycode) take seconds of
# CPU for a few hundred KB, which a client could use to stall a connection's thread.
CHARSETS = {
    **dict.fromkeys(("utf-8", "utf8"), "utf-8"),
    **dict.fromkeys(("utf-16", "utf16"), "utf-16"),
    **dict.fromkeys(("utf-16le", "utf-16be", "utf-32le", "utf-32be"), None),  # themselves
    **dict.fromkeys(("utf-32", "utf32"), "utf-32"),
    **dict.fromkeys(("ascii", "us-ascii"), "ascii"),
    **dict.fromkeys(("latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1"), "latin-1"),
}


def codec_of(charset: str) -> str:
    """The codec for a charset parameter; 415 for one not in CHARSETS."""
    name = charset.lower()
    if name not in CHARSETS:
        raise HttpError(415, "UnsupportedCharset",
                        f"charset {charset[:40]!r} is not served; use utf-8, utf-16, utf-32, "
                        "ascii or latin-1")
    return CHARSETS[name] or name


def parse_json(data):
    """json.loads, with nesting too deep for the parser's recursion refused as invalid JSON
    (the client's doing, not a runtime error)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("it nests too deeply") from None


def decode_event(body: bytes, content_type: Optional[str]):
    """JSON values for application/json and */*+json, str for text/*, None for an empty body,
    bytes otherwise. With no Content-Type (clients often omit it) we guess: JSON if it
    parses, else UTF-8 text, else bytes (JSON that nests too deeply is refused either way)."""
    if not body:
        return None
    media, _, params = (content_type or "").partition(";")
    media = media.strip().lower()
    charset = params and next((v.strip().strip('"') for k, _, v in
                               (p.partition("=") for p in params.split(";"))
                               if k.strip().lower() == "charset"), None) or None
    if not media:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        try:
            return json.loads(text)
        except ValueError:
            return text
        except RecursionError:
            raise HttpError(400, "InvalidJSON", "invalid JSON body: it nests too deeply") from None
    if media == JSON_TYPE or media.endswith("+json"):
        try:  # without a charset, json.loads detects UTF-8/16/32 and a BOM itself
            return parse_json(body.decode(codec_of(charset)) if charset else body)
        except ValueError as exc:
            raise HttpError(400, "InvalidJSON", f"invalid JSON body: {exc}") from None
    if media.startswith("text/"):
        try:
            return body.decode(codec_of(charset) if charset else "utf-8")
        except ValueError as exc:
            message = f"body is not {charset or 'utf-8'} text: {exc}"
            raise HttpError(400, "InvalidBody", message) from None
    return body


def encode_response(body, status=200, headers=None) -> Response:
    """Encode one body (None, bytes, str, else JSON) with its status and headers. Raises for
    what we cannot send faithfully (a set, NaN, a bad status, a header with a newline)."""
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise ValueError(f"status must be an int from 200 to 599, not {status!r}")
    if not isinstance(headers, (dict, type(None))):
        raise TypeError(f"headers must be a dict, not {type(headers).__name__}")
    pairs = []
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not HEADER_NAME.fullmatch(name):
            raise ValueError(f"invalid header name {name!r}")
        for item in value if isinstance(value, (list, tuple)) else [value]:
            text = str(item)
            if "\r" in text or "\n" in text:  # header injection
                raise ValueError(f"invalid value for header {name!r}")
            try:
                text.encode("latin-1")  # what HTTP/1.1 headers can carry
            except UnicodeEncodeError:
                raise ValueError(f"header {name!r} is not Latin-1 text") from None
            if name.lower() not in ("content-length", "transfer-encoding"):  # we frame bodies
                pairs.append((name, text))
    if body is None:
        content_type, data = None, b""
    elif isinstance(body, (bytes, bytearray, memoryview)):
        content_type, data = "application/octet-stream", bytes(body)
    elif isinstance(body, str):
        content_type, data = "text/plain; charset=utf-8", body.encode("utf-8")
    else:
        content_type = JSON_TYPE
        data = JSON_BODY.encode(body).encode("utf-8")
    if content_type and not any(n.lower() == "content-type" for n, _ in pairs):
        pairs.insert(0, ("Content-Type", content_type))
    return Response(status, pairs, data)


def encode_result(result) -> Response:
    """Map a handler's return value to a response; the forms are listed in README.md."""
    if isinstance(result, tuple):
        if len(result) not in (2, 3):
            raise TypeError("a tuple return must be (body, status) or (body, status, headers)")
        return encode_response(*result)
    code = result.get("statusCode") if isinstance(result, dict) else None
    explicit = isinstance(code, int) and not isinstance(code, bool)
    if explicit and set(result) <= {"statusCode", "headers", "body"}:
        return encode_response(result.get("body"), code, result.get("headers"))
    return Response(204, []) if result is None else encode_response(result)


# ---------------------------------------------------------------- HTTP


MAX_HEADERS = 100  # header lines per request (README.md)
MAX_HEADER_BYTES = 65536  # the whole header section, as h11, Node and gunicorn bound it


def set_idle_timeout(sock: socket.socket, seconds: float, receive_only=False) -> None:
    """The kernel's receive and send timeouts on a blocking socket: a recv that waited that
    long ends (the buffered reader then returns what it has, b"" when idle, which ends the
    connection), a send fails with BlockingIOError. Unlike socket.settimeout, which makes
    every recv and send poll() first, this costs nothing per call."""
    try:
        whole = int(seconds)
        timeval = struct.pack("ll", whole, int((seconds - whole) * 1e6))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        if not receive_only:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
    except (OSError, AttributeError, struct.error):
        sock.settimeout(seconds)  # a platform without them: the same limits, polled


class RequestTimeout(Exception):
    """A request's headers or body did not arrive by their deadline."""


class RequestReader(io.RawIOBase):
    """A connection's receiving side, with a deadline for the request being read.

    The idle timeout alone restarts with every byte, so a client sending one byte now and
    then would hold its thread for ever (slowloris). Here the clock starts with the first
    byte of a request: its headers must all arrive within the header timeout, and its body
    by the call's deadline (set by the caller); past either, a read raises RequestTimeout.
    The kernel's receive timeout is lowered to the time left only when a request needs more
    than one recv, so a request that arrives at once costs no extra system call."""

    def __init__(self, sock: socket.socket, idle_seconds: float):
        self.sock, self.idle_seconds = sock, idle_seconds
        self.receive_timeout = idle_seconds  # what SO_RCVTIMEO is set to now
        self.deadline: Optional[float] = None  # monotonic time by which the reads must end
        self.header_seconds = 0.0  # a deadline this far after the next data, once it arrives

    def readable(self) -> bool:
        return True

    def expect_request(self, header_seconds: float) -> None:
        """The next data starts a request, whose headers get `header_seconds`."""
        self.deadline, self.header_seconds = None, header_seconds
        if self.receive_timeout != self.idle_seconds:
            self._set_receive_timeout(self.idle_seconds)

    def _set_receive_timeout(self, seconds: float) -> None:
        set_idle_timeout(self.sock, seconds, receive_only=True)
        self.receive_timeout = seconds

    def readinto(self, buffer) -> Optional[int]:
        deadline = self.deadline
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RequestTimeout()
            if left < self.receive_timeout:
                self._set_receive_timeout(max(left, 0.001))
        try:
            received = self.sock.recv_into(buffer)
        except BlockingIOError:  # the kernel's receive timeout
            if deadline is not None and time.monotonic() >= deadline - 0.01:
                raise RequestTimeout() from None
            return None  # idle: the buffered reader returns what it has
        if self.header_seconds and received:
            self.deadline, self.header_seconds = time.monotonic() + self.header_seconds, 0.0
        return received


class Headers:
    """A request's headers, read without the email parser http.server uses (that parser was
    most of the cost of a small call). get() is case-insensitive and gives the first value,
    as email.message.Message does. Only the runtime and parse_request read it."""

    __slots__ = ("_values",)

    def __init__(self, values: dict):
        self._values = values  # lower-case name -> values in order

    def get(self, name: str, default=None):
        values = self._values.get(name.lower())
        return values[0] if values else default

    def joined(self) -> dict:
        """Lower-case name -> its values joined with ", " (the handler's context.headers)."""
        return {name: ", ".join(values) for name, values in self._values.items()}


def read_headers(rfile) -> Optional[Headers]:
    """The header block, up to its empty line; None if it stops mid-line. Over our limits
    (MAX_HEADERS lines, MAX_HEADER_BYTES in all) raises ValueError, answered 431. Values lose
    surrounding blanks; an obsolete folded line joins the previous value with a space. As
    h11 does, anything else that is not a field line (RFC 9112 5) is answered 400: a line
    with no colon, a name that is not a token (`Name : value`), a control character such as
    a bare CR or a NUL."""
    values: dict = {}
    last = None  # the value list of the header read last, which a folded line extends
    lines, room = 0, MAX_HEADER_BYTES
    while True:
        line = rfile.readline(room + 1)
        room -= len(line)
        if room < 0:
            raise ValueError(f"the header section is over the {MAX_HEADER_BYTES // 1024} KiB "
                             "limit (431)")
        if line in (b"\r\n", b"\n", b""):
            return Headers(values)
        if line[-1:] != b"\n":  # the client went away, or idle past the timeout, mid-line
            return None
        lines += 1
        if lines > MAX_HEADERS:
            raise ValueError(f"over the limit of {MAX_HEADERS} header lines (431)")
        text = line.decode("iso-8859-1")[:-2 if line[-2:] == b"\r\n" else -1]
        if CONTROL.search(text):
            raise HttpError(400, "InvalidRequest", "a header line contains a control character")
        if text[0] in " \t":
            if last:
                last[-1] = f"{last[-1]} {text.strip()}".strip()
            continue
        name, colon, value = text.partition(":")
        if not (colon and HEADER_NAME.fullmatch(name)):
            raise HttpError(400, "InvalidRequest", "a header line is not `name: value` with a "
                            "token for a name (no blank before the colon)")
        last = values.setdefault(name.lower(), [])
        last.append(value.strip(" \t"))


def connection_tokens(value: str) -> list:
    """The options of a Connection header (`close, te` is a close), lower-case."""
    return [token.strip().lower() for token in value.split(",")]


def framing_problem(headers: Headers) -> Optional[str]:
    """Why the body's length is ambiguous, else None. A request framed one way here and
    another way by a proxy in front could smuggle a second request inside its body, so only
    one plain Content-Length, or Transfer-Encoding exactly `chunked`, is accepted."""
    lengths = headers._values.get("content-length")
    codings = headers._values.get("transfer-encoding")
    if codings is not None:
        if lengths is not None:
            return "both Transfer-Encoding and Content-Length are given"
        if len(codings) != 1 or codings[0].lower() != "chunked":
            return "the only Transfer-Encoding served is chunked"
    elif lengths is not None:
        length = lengths[0]
        if not (0 < len(length) <= 18 and length.isascii() and length.isdigit()):
            return "Content-Length must be 1 to 18 digits"
        if len(lengths) > 1 and any(other != length for other in lengths):
            return "differing Content-Length values"
    return None


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


class RequestHandler(BaseHTTPRequestHandler):
    """One instance per connection, on its own daemon thread (ThreadingHTTPServer); the
    handler runs inline on that thread."""

    protocol_version = "HTTP/1.1"  # keep-alive, as kube-proxy and load balancers expect
    # A response goes out in one write, but a large one spans several segments: with Nagle's
    # algorithm on, the last one could wait for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    timeout = None  # a Python-level timeout would poll() before every recv and send: see setup
    idle_seconds = 120  # an idle keep-alive connection, or a stalled client, holds its thread
    timed_out = False  # the current call was answered 504 by the watchdog
    body_unread = False  # answered before its body was read: drain a little before closing
    DRAIN_BYTES, DRAIN_SECONDS = 1 << 20, 1.0

    def setup(self) -> None:
        super().setup()
        set_idle_timeout(self.connection, self.idle_seconds)
        self.rfile.close()  # the socket's own reader, replaced by one that keeps deadlines
        self.reader = RequestReader(self.connection, self.idle_seconds)
        self.rfile = io.BufferedReader(self.reader)

    def handle_one_request(self) -> None:
        """One request, its headers read within the header timeout from their first byte. A
        request line that misses it is answered 408 here; headers and bodies are answered
        where they are read (parse_request, call_handler)."""
        self.reader.expect_request(self.server.runtime.settings.header_timeout_seconds)
        try:
            super().handle_one_request()
        except RequestTimeout:
            self.command, self.request_version = None, "HTTP/1.1"
            self.body_unread = True
            self.send_request_timeout()

    def send_request_timeout(self) -> None:
        seconds = self.server.runtime.settings.header_timeout_seconds
        self.send_error(HTTPStatus.REQUEST_TIMEOUT, None,
                        f"the request line and headers did not arrive within {seconds:g}s "
                        "(PYLAMBDA_HEADER_TIMEOUT_SECONDS)")

    def finish(self) -> None:
        """Closing a socket with unread data makes the kernel send a reset, which can destroy
        an error answer before the client reads it (a client sending its whole body first).
        So after such an answer: end our side, then read and drop what still arrives, up to
        DRAIN_BYTES or DRAIN_SECONDS, before the socket is closed."""
        super().finish()
        if not self.body_unread:
            return
        sock, left = self.connection, self.DRAIN_BYTES
        deadline = time.monotonic() + self.DRAIN_SECONDS
        try:
            sock.shutdown(socket.SHUT_WR)
            while left > 0 and (wait := deadline - time.monotonic()) > 0:
                sock.settimeout(wait)
                data = sock.recv(min(left, 65536))
                if not data:
                    break
                left -= len(data)
        except OSError:  # a timeout too
            pass

    def handle_expect_100(self) -> bool:
        """No `100 Continue` for a request that will be refused anyway (not ready, or a
        Content-Length over the limit): its answer comes without the body being sent."""
        runtime = self.server.runtime
        length = self.headers.get("content-length")
        if runtime.state != "ready" or (length and int(length) > runtime.settings.max_body_bytes):
            return True
        return super().handle_expect_100()

    def parse_request(self) -> bool:
        """Read the request line and headers. Only HTTP/1.0 and HTTP/1.1 are served, so the
        line is `METHOD TARGET HTTP/1.x`; headers come from read_headers, not from the email
        parser http.server would use (most of the cost of a small call). False after an
        error answer, or when the client went away mid-request."""
        self.command = None
        self.request_version = "HTTP/1.1"  # the version error answers are given in
        self.close_connection = True
        if self.raw_requestline[-1:] != b"\n":  # cut short by a hang-up or the idle timeout
            return False
        self.requestline = self.raw_requestline.decode("iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if not words:
            return False
        if len(words) != 3 or not HTTP_VERSION.fullmatch(words[2]):
            self.send_error(HTTPStatus.BAD_REQUEST, "A request line is METHOD TARGET HTTP/1.1")
            return False
        method, target, version = words
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                            f"{version[:32]} is not served; use HTTP/1.1")
            return False
        self.request_version = version
        if target[:2] == "//":  # `//host/path` would read as another host to a client
            rest = target.lstrip("/")  # that resolves it against us: keep one leading slash
            target = target[len(target) - len(rest) - 1:]
        self.command, self.path = method, target
        try:
            self.headers = read_headers(self.rfile)
        except RequestTimeout:
            self.body_unread = True
            self.send_request_timeout()
            return False
        except ValueError as exc:
            self.body_unread = True
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, None, str(exc))
            return False
        except HttpError as exc:
            self.body_unread = True
            self.send_error(HTTPStatus.BAD_REQUEST, None, str(exc))
            return False
        if self.headers is None:
            return False
        problem = framing_problem(self.headers)
        if problem:  # answered with Connection: close, as every send_error is
            self.body_unread = True
            self.send_error(HTTPStatus.BAD_REQUEST, None, problem)
            return False
        connection = self.headers.get("connection")
        options = connection_tokens(connection) if connection else ()
        if version == "HTTP/1.1":
            self.close_connection = "close" in options
            if self.headers.get("expect", "").lower() == "100-continue":
                return self.handle_expect_100()
        elif self.headers.get("transfer-encoding"):  # faulty framing in HTTP/1.0 (RFC 9112 6.1)
            self.body_unread = True
            self.send_error(HTTPStatus.BAD_REQUEST, None,
                            "Transfer-Encoding is not allowed in an HTTP/1.0 request")
            return False
        else:
            self.close_connection = "keep-alive" not in options
        return True

    def __getattr__(self, name):
        """http.server looks up do_<METHOD>: answering every such name sends any method
        (GET, POST, PATCH, PURGE...) to one dispatcher."""
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def dispatch(self) -> None:
        """Probes, or a call: answered, counted and logged."""
        runtime, path, query = self.server.runtime, self.path, ""
        if path[:1] != "/" or "#" in path:  # absolute-form target, or a fragment
            url = urlsplit(path)
            path, query = url.path, url.query
        elif "?" in path:
            path, _, query = path.partition("?")
        if path in ("/healthz", "/metrics") and self.command in ("GET", "HEAD"):
            if self.headers.get("transfer-encoding") or self.headers.get("content-length", "0") != "0":
                self.close_connection = self.body_unread = True  # it must not become a request
            return self.answer_probe(runtime, path)
        started = time.monotonic()
        given_id = self.headers.get("x-request-id", "")
        request_id = given_id if REQUEST_ID.fullmatch(given_id) else os.urandom(16).hex()
        runtime.metrics.call_started()
        self.timed_out = False
        try:
            try:
                response = self.call_handler(runtime, path, query, request_id, started)
            except Exception as exc:  # a runtime bug must still answer, count and log
                self.close_connection = self.body_unread = True  # where the body ends is unknown
                response = error_response(500, "InternalError", "runtime error", request_id,
                                          {"msg": "runtime error", "error": repr(exc),
                                           "traceback": traceback.format_exc()})
            if self.timed_out:  # the watchdog answered, counted and logged it
                return
            seconds = time.monotonic() - started
            runtime.metrics.call_answered(response.status, seconds, response.failure is not None)
            self.send(response, request_id)
            log_call(self.command, path, response, seconds, request_id)
        finally:  # only now may shutdown, waiting for every response to be written, exit
            if not self.timed_out:
                runtime.metrics.call_finished()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = dispatch

    def call_handler(self, runtime: Runtime, path: str, query: str, request_id: str,
                     started: float):
        """Read the request, call the handler under the deadline, encode what it returned.
        None if the watchdog answered 504 before the handler returned."""
        settings, timeout = runtime.settings, runtime.settings.timeout_seconds
        if runtime.state != "ready":
            self.close_connection = self.body_unread = True
            return error_response(503, "NotReady", runtime.reason, request_id)
        self.reader.deadline = started + timeout  # the call's deadline covers the body
        try:
            body = read_body(self.rfile, self.headers, settings.max_body_bytes)
            event = decode_event(body, self.headers.get("content-type"))
        except HttpError as exc:
            self.close_connection = self.body_unread = True  # it would corrupt the next request
            return error_response(exc.status, exc.kind, str(exc), request_id)
        except RequestTimeout:
            self.close_connection = self.body_unread = True
            return error_response(504, "Timeout", f"the request body did not arrive within "
                                  f"{timeout:g}s (PYLAMBDA_TIMEOUT_SECONDS)", request_id)
        self.reader.deadline = None
        if time.monotonic() >= started + timeout:  # the deadline covers reading and decoding
            return error_response(504, "Timeout", f"the request body was not read and decoded "
                                  f"within {timeout:g}s", request_id)
        headers = self.headers.joined()
        query_list = parse_qs(query, keep_blank_values=True) if query else {}
        context = Context(
            self.command, path, {k: v[-1] for k, v in query_list.items()}, query_list,
            headers, body, request_id, settings.function_name, settings.namespace,
            deadline=time.time() + timeout - (time.monotonic() - started),
            _deadline_monotonic=started + timeout,
        )
        call = Call(self, request_id, started, started + timeout, self.command, path)
        result = error = None
        handler_started = time.monotonic()
        self.server.watchdog.start(call)
        try:
            try:
                result = runtime.handler(event, context)
                if inspect.iscoroutine(result):  # `async def handler` works too
                    import asyncio

                    result = asyncio.run(result)
            except BaseException as exc:  # SystemExit in a handler is its error, not ours
                error = exc
        finally:  # whatever happens, the call is claimed: answered here or by the watchdog
            self.timed_out = not self.server.watchdog.finish(call)
        if self.timed_out:  # its 504 is sent and the connection ends; the result is dropped
            self.close_connection = True
            runtime.metrics.call_abandoned(-1)
            log("warning", "timed-out call finished", requestId=request_id,
                durationMs=round((time.monotonic() - handler_started) * 1000, 1),
                raised=error is not None)
            return None
        if error is not None:
            kind = type(error).__name__
            message = str(error) or kind
            # the traceback starts at the user's frame, not this one
            tb = "".join(traceback.format_exception(type(error), error, error.__traceback__.tb_next))
            return error_response(500, kind, message, request_id,
                                  {"msg": "handler raised an exception", "error": message,
                                   "type": kind, "traceback": tb})
        try:
            return encode_result(result)
        except Exception as exc:
            message = f"cannot encode the handler's return value: {exc}"
            return error_response(500, "InvalidReturn", message, request_id,
                                  {"msg": "handler returned an invalid value", "error": message})

    def send_timeout(self, call: Call, seconds: float):
        """From the watchdog, the handler still running on this connection's thread: count
        the call, send its 504 and end the connection. Never blocks on the client."""
        timeout = self.server.runtime.settings.timeout_seconds
        message = f"handler did not return within {timeout:g}s"
        response = error_response(504, "Timeout", message, call.request_id,
                                  {"msg": "handler timed out", "error": message})
        metrics = self.server.runtime.metrics
        metrics.call_abandoned(+1)
        metrics.call_answered(504, seconds, True)
        data = self.render(response, call.request_id, close=True)
        sock = self.connection
        try:
            sock.settimeout(0)  # a client not reading must not stall the watchdog
            sock.send(data)  # a few hundred bytes, into a send buffer nothing else is using
        except OSError:
            pass
        try:
            sock.shutdown(socket.SHUT_WR)  # the client sees the end after the 504
        except OSError:
            pass
        return response

    def answer_probe(self, runtime: Runtime, path: str) -> None:
        """/healthz is 200 only once the handler imported and until draining; /metrics always
        answers. Neither is logged: probes every few seconds would drown the calls."""
        if path == "/metrics":
            text = runtime.metrics.render(runtime.state == "ready").encode()
            content_type = "text/plain; version=0.0.4; charset=utf-8"
            return self.send(Response(200, [("Content-Type", content_type)], text))
        if runtime.draining:
            status, payload = 503, {"status": "draining", "reason": "shutting down"}
        elif runtime.state == "ready":
            status, payload = 200, {"status": "ok"}
        else:
            status, payload = 503, {"status": runtime.state, "reason": runtime.reason}
        self.send(Response(status, [("Content-Type", JSON_TYPE)], json.dumps(payload).encode()))

    def render(self, response: Response, request_id=None, close=False) -> bytes:
        """The whole response as bytes, sent in one write. Every answer after which the
        connection ends says `Connection: close`, so a keep-alive client does not send its
        next request down a socket being closed. A handler's `Connection: close` ends the
        connection after this response; nothing a handler sends keeps open one that the
        client or the runtime is ending."""
        status, body = response.status, response.body
        no_body = status in (204, 304) or self.command == "HEAD"
        head = [STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n",
                "Server: pylambda\r\nDate: ", http_date(), "\r\n"]
        # The runtime ends it: an error that leaves the stream unusable, the client's own
        # close, or draining (so that clients reconnect to another pod).
        closing = close or self.close_connection or self.server.runtime.draining
        handler_connection = None
        for name, value in response.headers:
            if name.lower() == "connection":  # decided below, together with ours
                handler_connection = value
                closing = closing or "close" in connection_tokens(value)
            else:
                head.append(f"{name}: {value}\r\n")
        if request_id:
            head.append(f"X-Request-Id: {request_id}\r\n")
        if status not in (204, 304):
            head.append(f"Content-Length: {len(body)}\r\n")
        if closing:
            head.append("Connection: close\r\n")
            self.close_connection = True
        elif handler_connection is not None:
            head.append(f"Connection: {handler_connection}\r\n")
        head.append("\r\n")
        data = "".join(head).encode("latin-1")
        return data if no_body else data + body

    def send(self, response: Response, request_id: Optional[str] = None) -> None:
        """Write the response; a client that hung up is not worth a traceback."""
        try:
            self.wfile.write(self.render(response, request_id))
        except (BrokenPipeError, ConnectionResetError, BlockingIOError, TimeoutError):
            self.close_connection = True  # BlockingIOError: the send timed out

    def version_string(self) -> str:
        return "pylambda"

    def log_request(self, code="-", size="-") -> None:
        """Silenced: dispatch() writes the JSON line for each call."""

    def log_message(self, format, *args) -> None:
        log("warning", "http: " + (format % args), client=self.client_address[0])


class ThrottledLog:
    """A warning about something that may happen thousands of times a second (a flood of
    connections): logged at most once per `seconds`, with how often it happened since."""

    def __init__(self, msg: str, seconds: float = 10.0):
        self.msg, self.seconds = msg, seconds
        self.next_at, self.unlogged = 0.0, 0

    def __call__(self, **fields) -> None:
        now = time.monotonic()
        self.unlogged += 1
        if now >= self.next_at:
            self.next_at = now + self.seconds
            log("warning", self.msg, times=self.unlogged, **fields)
            self.unlogged = 0


# accept() failing with these is the process or the system out of a resource: retrying at
# once would spin (the listening socket stays readable), so the accept loop backs off.
ACCEPT_EXHAUSTED = frozenset(getattr(errno, name) for name in ("EMFILE", "ENFILE", "ENOBUFS", "ENOMEM")
                             if hasattr(errno, name))
REFUSAL_LINGER_SECONDS, MAX_LINGERING = 1.0, 64


class Server(ThreadingHTTPServer):
    """One thread per connection, at most PYLAMBDA_MAX_CONNECTIONS of them. A connection
    past the cap is answered 503 by the accept loop itself, without a thread: sent, its
    sending side shut, what the client still sends read and dropped for up to a second (so
    the close does not reset the answer away), then closed."""

    daemon_threads = True  # a stuck call never blocks exit
    request_queue_size = 128  # socketserver's default of 5 resets connections under bursts

    def __init__(self, address, runtime: Runtime):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.runtime = runtime
        super().__init__(address, RequestHandler)
        self.watchdog = Watchdog(runtime)
        self.max_connections = runtime.settings.max_connections
        self._lingering: deque = deque()  # (socket, when to close it) of refused connections
        self._accept_backoff = 0.0
        self._log_accept_failure = ThrottledLog("cannot accept connections; backing off")
        self._log_refusal = ThrottledLog("connections refused: too many open")

    def get_request(self):
        try:
            accepted = self.socket.accept()
        except OSError as exc:
            if exc.errno in ACCEPT_EXHAUSTED:
                self.runtime.metrics.accept_failed()
                self._accept_backoff = min(1.0, max(0.01, self._accept_backoff * 2))
                self._log_accept_failure(error=os.strerror(exc.errno),
                                         backoffSeconds=self._accept_backoff,
                                         openConnections=self.runtime.metrics.connections)
                time.sleep(self._accept_backoff)
            raise
        self._accept_backoff = 0.0
        return accepted

    def process_request(self, request, client_address) -> None:
        if not self.runtime.metrics.connection_opened(self.max_connections):
            self.refuse(request)
            return
        super().process_request(request, client_address)  # on failure: shutdown_request

    def shutdown_request(self, request) -> None:
        try:
            super().shutdown_request(request)
        finally:
            self.runtime.metrics.connection_closed()

    def refuse(self, sock: socket.socket) -> None:
        self._log_refusal(maxConnections=self.max_connections,
                          variable="PYLAMBDA_MAX_CONNECTIONS")
        body = json.dumps({"error": f"too many connections: {self.max_connections} are open "
                                    "(PYLAMBDA_MAX_CONNECTIONS); retry later",
                           "type": "TooManyConnections"}).encode()
        head = (f"HTTP/1.1 503 Service Unavailable\r\nServer: pylambda\r\nDate: {http_date()}"
                f"\r\nContent-Type: {JSON_TYPE}\r\nContent-Length: {len(body)}\r\n"
                "Retry-After: 1\r\nConnection: close\r\n\r\n")
        try:
            sock.setblocking(False)
            sock.send(head.encode("latin-1") + body)  # fits any empty send buffer
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        self._lingering.append((sock, time.monotonic() + REFUSAL_LINGER_SECONDS))
        if len(self._lingering) > MAX_LINGERING:
            self._lingering.popleft()[0].close()

    def service_actions(self) -> None:
        """Between accepts (and at least every poll interval): drop what refused clients
        sent, and close those that hung up or whose linger is over."""
        now = time.monotonic()
        for _ in range(len(self._lingering)):
            sock, close_at = self._lingering.popleft()
            try:
                while sock.recv(65536):
                    pass
                done = True  # the client hung up
            except BlockingIOError:
                done = now >= close_at
            except OSError:
                done = True
            if done:
                sock.close()
            else:
                self._lingering.append((sock, close_at))

    def server_bind(self) -> None:
        """Skips HTTPServer's getfqdn(), a reverse DNS lookup that can stall startup."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        log("warning", "connection error", traceback=traceback.format_exc())


# ---------------------------------------------------------------- process lifecycle


def prepare_sys_path(settings: Settings) -> None:
    """The code dir first so the user's modules win, then the `pip install --target` deps
    dir (with its .pth files, as for site-packages), then the stdlib and site-packages."""
    paths = [settings.code_dir]
    if settings.deps_dir and os.path.isdir(settings.deps_dir):
        paths.append(settings.deps_dir)
    for path in reversed(paths):
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)
    if len(paths) > 1:
        site.addsitedir(paths[1])  # already on sys.path, so this only reads its .pth files


def install_signal_handlers(runtime: Runtime) -> None:
    """SIGTERM (Kubernetes) and SIGINT (Ctrl-C) start a graceful stop; a second one exits at
    once. The handler only sets flags: taking a lock here could deadlock its own thread."""

    def on_signal(signum, frame):
        if runtime.stop_signal:
            line = json.dumps({"level": "warning", "msg": "second signal: exiting now"})
            flush_logs(1.0)  # what is queued, unless stdout is stuck
            os.write(1, (line + "\n").encode())
            os._exit(1)
        runtime.draining = True  # /healthz turns 503 at once
        runtime.stop_signal = signal.Signals(signum).name

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def shut_down(server: Server, runtime: Runtime) -> int:
    """Keep serving for the drain period, so Kubernetes removes the pod from its Service's
    endpoints first; then stop accepting and let in-flight calls end (each by its deadline)."""
    settings, metrics = runtime.settings, runtime.metrics
    log("info", "draining", signal=runtime.stop_signal, drainSeconds=settings.drain_seconds,
        inflight=metrics.inflight)
    time.sleep(settings.drain_seconds)
    server.shutdown()
    server.server_close()
    log("info", "stopped accepting connections", inflight=metrics.inflight)
    if not metrics.wait_idle(settings.timeout_seconds + 1):
        log("warning", "calls still in flight at exit", inflight=metrics.inflight)
    log("info", "stopped")
    return 0


SETTINGS_FILE = "settings.json"


def settings_environment(environ) -> dict:
    """The environment merged over the PYLAMBDA_* variables of a settings.json file.

    An annotated Deployment mounts a ConfigMap holding this file and settings.json side by
    side, so the annotations stay the one place a user states the handler and port. The
    file is PYLAMBDA_SETTINGS_FILE, else settings.json beside this file (absent: no file).
    A variable set (non-empty) on the container wins over the file.
    """
    explicit = environ.get("PYLAMBDA_SETTINGS_FILE", "").strip()
    here = os.path.dirname(os.path.abspath(__file__))  # not realpath: ConfigMap files are symlinks
    path = explicit or os.path.join(here, SETTINGS_FILE)
    try:
        with open(path, encoding="utf-8") as source:
            data = json.load(source)
    except FileNotFoundError:
        if explicit:
            raise SettingsError("PYLAMBDA_SETTINGS_FILE", f"PYLAMBDA_SETTINGS_FILE={path!r} does not exist")
        return dict(environ)
    except (OSError, ValueError) as exc:
        raise SettingsError("PYLAMBDA_SETTINGS_FILE", f"settings file {path!r} is unreadable: {exc}")
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and k.startswith("PYLAMBDA_") and isinstance(v, str) for k, v in data.items()
    ):
        raise SettingsError(
            "PYLAMBDA_SETTINGS_FILE",
            f"settings file {path!r} must be a JSON object of PYLAMBDA_* names to strings",
        )
    merged = dict(environ)
    for name, value in data.items():
        if not environ.get(name, "").strip():
            merged[name] = value
    return merged


def main() -> int:
    """Exit codes: 0 after a graceful stop, 1 if the port cannot be bound, 2 for bad settings."""
    try:
        settings = load_settings(settings_environment(os.environ))
    except SettingsError as exc:
        log("error", str(exc), variable=exc.variable)
        return 2
    if settings.namespace:
        set_log_fields(function=settings.function_name, namespace=settings.namespace)
    else:
        set_log_fields(function=settings.function_name)
    runtime = Runtime(settings)
    log("info", "starting", handler=settings.handler, codeDir=settings.code_dir,
        depsDir=settings.deps_dir, timeoutSeconds=settings.timeout_seconds,
        drainSeconds=settings.drain_seconds, python=sys.version.split()[0], pid=os.getpid())
    prepare_sys_path(settings)
    try:
        server = Server((settings.host, settings.port), runtime)
    except OSError as exc:
        log("error", f"cannot listen on {settings.host}:{settings.port}: {exc}",
            variable="PYLAMBDA_HOST/PYLAMBDA_PORT")
        return 1
    install_signal_handlers(runtime)
    threading.Thread(target=server.serve_forever, args=(0.2,), name="serve", daemon=True).start()
    log("info", "listening", host=settings.host, port=server.server_address[1])
    threading.Thread(target=runtime.import_handler, name="import", daemon=True).start()
    while runtime.stop_signal is None:
        time.sleep(0.1)  # a plain sleep: signal handlers run between two sleeps
    return shut_down(server, runtime)


if __name__ == "__main__":
    exit_code = main()
    flush_logs()
    sys.stdout.flush()
    os._exit(exit_code)  # a handler's stray non-daemon thread must not keep a stopped pod alive
