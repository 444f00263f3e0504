"""One client connection: its requests read (framing, deadlines), each answered by a
probe or a call of the handler, and each answer written whole, in one system call when the
client reads, within PYLAMBDA_WRITE_TIMEOUT_SECONDS when it does not."""

import io
import os
import re
import socket
import struct
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Optional
from urllib.parse import parse_qs, urlsplit

from .bodies import Response, decode_event, error_response, event_text_bytes
from .budget import CallBytes, OverBudget
from .calls import Call, Context, call_inline, response_for
from .deadlines import RequestReader, RequestTimeout, WriteTimeout, send_within, set_idle_timeout
from .framing import (HTTP_VERSION, MAX_LEADING_EMPTY_LINES, MAX_METHOD, REQUEST_LINE,
                      STATUS_LINES, HttpError, connection_tokens, framing_problem, host_problem,
                      http_date, read_body, read_headers)
from .logs import ThrottledLog, log, log_call
from .probes import PROBE_PATHS, probe_response
from .state import Runtime

REQUEST_ID = re.compile(r"[\x21-\x7e]{1,200}")  # printable, so safe to echo as a header
# The `type` of a framing error's JSON answer; else its reason phrase without blanks
# ("RequestTimeout", "HTTPVersionNotSupported").
ERROR_TYPES = {400: "InvalidRequest"}


def split_target(target: str) -> tuple:
    """The path and the query of a request target; ValueError for one that is not a URL."""
    if target[:1] != "/" or "#" in target:  # absolute-form target, or a fragment
        url = urlsplit(target)
        return url.path, url.query
    path, _, query = target.partition("?")
    return path, query


class RequestHandler(BaseHTTPRequestHandler):
    """One instance per connection, on its own daemon thread (ThreadingHTTPServer); the
    handler runs inline on that thread."""

    protocol_version = "HTTP/1.1"  # keep-alive, as kube-proxy and load balancers expect
    # A response goes out in one write, but a large one spans several segments: with Nagle's
    # algorithm on, the last one could wait for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    timeout = None  # a Python-level timeout would poll() before every recv and send: see setup
    timed_out = False  # the current call was answered 504 by the watchdog
    body_unread = False  # answered before its body was read: drain a little before closing
    # The second bounds how long a refused client holds its thread; the bytes bound the work
    # (dropping 16 MiB takes milliseconds). It is well over the 6 MiB body limit, because a body
    # just past that limit is the usual one to get a 413 while its client is still sending:
    # with 1 MiB, a client that sent 3 MiB before reading saw a reset on a loaded machine.
    DRAIN_BYTES, DRAIN_SECONDS = 16 << 20, 1.0

    def setup(self) -> None:
        super().setup()
        settings = self.server.runtime.settings
        self.write_seconds = settings.write_timeout_seconds
        # The first request's headers are due within the header timeout from now, so the
        # receive timeout starts at that (or the idle timeout, if shorter).
        first_wait = min(settings.idle_timeout_seconds, settings.header_timeout_seconds)
        set_idle_timeout(self.connection, first_wait, self.write_seconds)
        self.rfile.close()  # the socket's own reader, replaced by one that keeps deadlines
        self.reader = RequestReader(self.connection, settings.idle_timeout_seconds,
                                    self.server.idle_connections, first_wait)
        self.rfile = io.BufferedReader(self.reader)
        self.requests = 0  # read on this connection so far

    def handle_one_request(self) -> None:
        """One request, its headers read within the header timeout: from the accept for a
        connection's first request, else from their first byte (before it, the idle timeout
        ends the connection without an answer; a request whose start came with the last
        one's bytes has its first byte now). A request line that misses it is answered
        408 here; headers and bodies are answered where they are read (parse_request,
        call_handler)."""
        first = self.requests == 0
        self.reader.expect_request(self.server.runtime.settings.header_timeout_seconds,
                                   first=first,
                                   buffered=not first and self.reader.holds_data(self.rfile))
        self.headers_read = False  # self.headers is still the previous request's
        self.requests += 1
        try:
            super().handle_one_request()
        except RequestTimeout:
            self.command, self.request_version = None, "HTTP/1.1"
            self.body_unread = True
            self.send_request_timeout()

    def send_error(self, code, message=None, explain=None) -> None:
        """http.server's error answer (a framing error: 400, 408, 414, 431, 505), as JSON
        like every error the runtime produces, with the standard reason phrase, and the
        connection closed after it: where the next request would start is unknown."""
        status = HTTPStatus(code)
        logs = self.server.framing_error_logs
        throttled = logs.get(code) or logs.setdefault(
            code, ThrottledLog(f"http: requests refused with {code} {status.phrase}"))
        throttled(message=message or status.phrase, client=self.client_address[0])
        headers = self.headers if self.headers_read else None
        given_id = headers.get("x-request-id", "") if headers else ""
        request_id = given_id if REQUEST_ID.fullmatch(given_id) else os.urandom(16).hex()
        kind = ERROR_TYPES.get(code) or "".join(status.phrase.replace("-", " ").split())
        self.close_connection = True
        self.send(error_response(code, kind, explain or message or status.phrase, request_id),
                  request_id)

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
        for _ in range(MAX_LEADING_EMPTY_LINES):  # ignored before a request line (RFC 9112 2.2)
            if self.raw_requestline not in (b"\r\n", b"\n"):
                break
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:  # as http.server answers the first line
                self.body_unread = True
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return False
        if self.raw_requestline[-1:] != b"\n":  # cut short by a hang-up or the idle timeout
            return False
        # Only the line's own CRLF (or bare LF) goes: rstrip("\r\n") would also take the bare
        # CR of `HTTP/1.1\r\r\n`, which RFC 9112 2.2 makes invalid (or a space).
        line_end = 2 if self.raw_requestline[-2:] == b"\r\n" else 1
        self.requestline = self.raw_requestline[:-line_end].decode("iso-8859-1")
        if not self.requestline:
            return False
        line = REQUEST_LINE.fullmatch(self.requestline)
        if not line or not HTTP_VERSION.fullmatch(line[3]) or len(line[1]) > MAX_METHOD:
            self.body_unread = True
            self.send_error(HTTPStatus.BAD_REQUEST, "A request line is METHOD TARGET HTTP/1.1",
                            "the request line must be a method (a token of at most "
                            f"{MAX_METHOD} characters), a target without controls or spaces "
                            "and HTTP/1.x, separated by single spaces")
            return False
        method, target, version = line.groups()
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                            f"{version[:32]} is not served; use HTTP/1.1")
            return False
        self.request_version = version
        if target[:2] == "//":  # `//host/path` would read as another host to a client
            rest = target.lstrip("/")  # that resolves it against us: keep one leading slash
            target = target[len(target) - len(rest) - 1:]
        try:
            self.target_path, self.target_query = split_target(target)
        except ValueError:  # urlsplit's, for an absolute-form target such as http://[::1/
            self.body_unread = True
            self.send_error(HTTPStatus.BAD_REQUEST, "Invalid request target",
                            "the request target is not a valid URL")
            return False
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
        self.headers_read = True
        problem = framing_problem(self.headers) or host_problem(self.headers, version)
        if problem:  # answered with Connection: close, as every send_error is
            self.body_unread = True
            self.send_error(HTTPStatus.BAD_REQUEST, problem)  # logged with why, not "Bad Request"
            return False
        connection = self.headers.get("connection")
        options = connection_tokens(connection) if connection else ()
        # A CONNECT reaches the handler as any method does, but its connection ends with the
        # answer: a proxy that forwarded it reads a 2xx as a tunnel opened, and what its
        # client sends next, tunnel data to the proxy, must never be read as requests it did
        # not check (h11 stops reading HTTP after such an answer too).
        connect = method == "CONNECT"
        if connect:
            self.body_unread = True  # the tunnel's first bytes may follow: drained, not reset
        if version == "HTTP/1.1":
            self.close_connection = "close" in options or connect
            if self.headers.get("expect", "").lower() == "100-continue":
                return self.handle_expect_100()
        elif self.headers.get("transfer-encoding"):  # faulty framing in HTTP/1.0 (RFC 9112 6.1)
            self.body_unread = True
            self.send_error(HTTPStatus.BAD_REQUEST, None,
                            "Transfer-Encoding is not allowed in an HTTP/1.0 request")
            return False
        else:
            self.close_connection = "keep-alive" not in options or connect
        return True

    def __getattr__(self, name):
        """http.server looks up do_<METHOD>: answering every such name sends any method
        (GET, POST, PATCH, PURGE...) to one dispatcher."""
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    def dispatch(self) -> None:
        """Probes, or a call: answered, counted and logged."""
        runtime, path, query = self.server.runtime, self.target_path, self.target_query
        if path in PROBE_PATHS and self.command in ("GET", "HEAD"):
            if self.headers.get("transfer-encoding") or self.headers.get("content-length", "0") != "0":
                self.close_connection = self.body_unread = True  # it must not become a request
            return self.send(probe_response(runtime, path, self.server.watchdog))
        started = time.monotonic()
        given_id = self.headers.get("x-request-id", "")
        request_id = given_id if REQUEST_ID.fullmatch(given_id) else os.urandom(16).hex()
        runtime.metrics.call_started()
        self.timed_out = False
        length = self.headers.get("content-length", "0")  # digits: framing_problem checked
        call_bytes = self.call_bytes = CallBytes(runtime.body_budget, int(length))
        answered = False
        try:
            try:
                response = self.call_handler(runtime, path, query, request_id, started)
            # A runtime bug must still answer, count and log, whatever it raised: signals
            # reach only the main thread, so nothing here is the runtime being stopped.
            except BaseException as exc:
                self.close_connection = self.body_unread = True  # where the body ends is unknown
                response = error_response(500, "InternalError", "runtime error", request_id,
                                          {"msg": "runtime error", "error": repr(exc),
                                           "traceback": traceback.format_exc()})
            finally:  # the body and the event are dropped with call_handler's frame
                call_bytes.release()
            if self.timed_out:  # the watchdog answered, counted and logged it
                return
            seconds = time.monotonic() - started
            runtime.metrics.call_answered(response.status, seconds, response.failure is not None)
            answered = True
            self.send(response, request_id)
            log_call(self.command, path, response, seconds, request_id)
        finally:  # only now may shutdown, waiting for every response to be written, exit
            if not self.timed_out:
                runtime.metrics.call_finished(answered)

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
        content_type = self.headers.get("content-type")
        try:
            self.reader.on_body_bytes = self.call_bytes.received  # claimed as they arrive
            try:
                body = read_body(self.rfile, self.headers, settings.max_body_bytes)
            finally:
                self.reader.on_body_bytes = None
            self.call_bytes.settle(len(body))
            self.call_bytes.claim(event_text_bytes(body, content_type))
            event = decode_event(body, content_type, settings.max_json_values)
        except OverBudget:
            self.close_connection = self.body_unread = True
            response = error_response(
                503, "TooManyBodyBytes", "request bodies being read or held are at the limit "
                f"of {settings.max_inflight_body_bytes} bytes (PYLAMBDA_MAX_INFLIGHT_BODY_BYTES); "
                "retry later", request_id)
            response.headers.append(("Retry-After", "1"))
            return response
        except HttpError as exc:
            self.close_connection = self.body_unread = True  # it would corrupt the next request
            return error_response(exc.status, exc.kind, str(exc), request_id)
        except RequestTimeout:
            self.close_connection = self.body_unread = True
            return error_response(504, "Timeout", f"the request body did not arrive within "
                                  f"{timeout:g}s (PYLAMBDA_TIMEOUT_SECONDS)", request_id)
        self.reader.deadline = None
        if time.monotonic() >= started + timeout:  # the deadline covers reading and decoding
            self.close_connection = True  # every 504 ends the connection, as the README says
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
        handler_started = time.monotonic()
        self.server.watchdog.start(call)
        raised = False
        try:  # encoding runs the handler's code too (a header's __str__, a huge value): watched
            result, error = call_inline(runtime.handler, event, context)
            response = response_for(result, error, request_id)
            # Dropped here, still under the watchdog: a finalizer of what the handler returned
            # or raised (a __del__, a started generator's `finally`, the frames of a traceback)
            # is its code too, and one that blocks would otherwise hold the call, unanswered
            # and not counted as abandoned, once the watchdog has let it go.
            raised = error is not None
            result = error = context = event = body = None
        finally:  # whatever happens, the call is claimed: answered here or by the watchdog
            self.timed_out = not self.server.watchdog.finish(call)
        if self.timed_out:  # its 504 is sent and the connection ends; the result is dropped
            self.close_connection = True
            runtime.metrics.call_abandoned(-1)
            log("warning", "timed-out call finished", requestId=request_id,
                durationMs=round((time.monotonic() - handler_started) * 1000, 1),
                raised=raised)
            return None
        return response

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
        head, body = self.render(response, call.request_id, close=True)
        sock = self.connection
        try:
            sock.settimeout(0)  # a client not reading must not stall the watchdog
            sock.send(head + body)  # a few hundred bytes, into a send buffer nothing else uses
        except OSError:
            pass
        try:
            sock.shutdown(socket.SHUT_WR)  # the client sees the end after the 504
        except OSError:
            pass
        return response

    def render(self, response: Response, request_id=None, close=False) -> tuple:
        """The response's head as bytes, and its body (b"" when it has none): sent together
        by one sendmsg, never joined into one copy (a large body would be held twice while a
        slow client reads it). Every answer after which the
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
        elif self.request_version == "HTTP/1.0":
            # Kept open for an HTTP/1.0 client that asked: it (or a proxy) takes an answer
            # that does not say so as the server closing (RFC 9112 9.3), while we wait on.
            head.append("Connection: keep-alive\r\n")
        head.append("\r\n")
        return "".join(head).encode("latin-1"), b"" if no_body else body

    def send(self, response: Response, request_id: Optional[str] = None) -> None:
        """Write the response within PYLAMBDA_WRITE_TIMEOUT_SECONDS in all, however little
        the client reads at a time; a client that hung up is not worth a traceback. The
        body is dropped from the response once written (the call's log line follows)."""
        head, body = self.render(response, request_id)
        response.body = b""
        try:
            send_within(self.connection, head, body, self.write_seconds)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except WriteTimeout:
            self.close_connection = True
            log("warning", "response not written in time; connection closed",
                requestId=request_id, seconds=self.write_seconds,
                variable="PYLAMBDA_WRITE_TIMEOUT_SECONDS")
            try:  # a reset, so the kernel drops the unsent rest instead of keeping it queued
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            except OSError:
                pass

    def version_string(self) -> str:
        return "pylambda"

    def log_request(self, code="-", size="-") -> None:
        """Silenced: dispatch() writes the JSON line for each call."""

    def log_message(self, format, *args) -> None:
        log("warning", "http: " + (format % args), client=self.client_address[0])
