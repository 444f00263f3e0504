"""Connections past PYLAMBDA_MAX_CONNECTIONS, when none waiting for a request could be closed
to make room (idle.py): every open connection is mid-request, or has waited less than a
second. They get no thread of their own; one thread reads each one's request head for up
to OVERFLOW_HEAD_SECONDS and answers it:

- `GET` or `HEAD` of `/livez` or `/healthz`, the kubelet's probes, with the probe's own
  answer (probes.py). A pod whose every connection is busy with a call, or held by clients
  mid-request, is alive: failing its liveness probe would restart a pod that is merely busy,
  and abort the calls it is serving. The probes read a few counters, so answering them here
  costs next to nothing, and a probe cannot reach the handler: the cap still bounds the
  calls (and the threads) a client can make the runtime run.
- anything else, or nothing in time, with `503 TooManyConnections` (`Retry-After: 1`).

Either way the connection is then closed: the answer sent, its sending side shut, what the
client still sends read and dropped for up to LINGER_SECONDS (so that closing with data
unread does not reset the answer away). At most MAX_OVERFLOW such connections are held at
once; past that one is let go (closed if answered, else answered 503 and closed): one answered
already, else the one silent longest, else the oldest."""

import io
import selectors
import socket
import threading
import time
import traceback
from collections import OrderedDict, deque

from .framing import (MAX_LEADING_EMPTY_LINES, REQUEST_LINE, STATUS_LINES, host_problem, http_date,
                      read_headers)
from .logs import log
from .probes import probe_response

# A probe's request arrives with its connection (the kubelet writes it at once): a second is
# ample, and bounds how long a silent connection past the cap holds a descriptor here.
OVERFLOW_HEAD_SECONDS = 1.0
OVERFLOW_HEAD_BYTES = 8192  # a probe's head is ~150 bytes, with custom httpHeaders a few more
LINGER_SECONDS = 1.0
MAX_OVERFLOW = 64
OVERFLOW_PROBES = frozenset(("/livez", "/healthz"))


def probe_path(head: bytes):
    """The probe a request head (up to its blank line) asks for, else None. As strict as
    the connection's own parser: one request line `GET|HEAD /livez|/healthz HTTP/1.x`
    (any query is ignored, as there), header lines that read_headers accepts, one Host
    (host_problem), no body."""
    for _ in range(MAX_LEADING_EMPTY_LINES):
        if head[:2] == b"\r\n":
            head = head[2:]
        elif head[:1] == b"\n":
            head = head[1:]
    line, _, rest = head.partition(b"\n")
    match = REQUEST_LINE.fullmatch((line[:-1] if line[-1:] == b"\r" else line).decode("iso-8859-1"))
    if not match or match[1] not in ("GET", "HEAD") or match[3] not in ("HTTP/1.1", "HTTP/1.0"):
        return None
    path = match[2].partition("?")[0]
    if path not in OVERFLOW_PROBES:
        return None
    try:
        headers = read_headers(io.BytesIO(rest))
    except Exception:  # ValueError (431), HttpError (400): not a probe worth answering
        return None
    if headers is None or headers.get("transfer-encoding") or headers.get("content-length", "0") != "0":
        return None
    if host_problem(headers, match[3]):  # below the cap a 400: never a probe's answer
        return None
    return match[1], path


class Waiting:
    __slots__ = ("sock", "head", "until", "answered")

    def __init__(self, sock: socket.socket, until: float):
        self.sock, self.head, self.until, self.answered = sock, bytearray(), until, False


class Overflow:
    """The connections past the cap and the one thread that answers them."""

    def __init__(self, runtime, watchdog, refusal):
        """`refusal()`: the bytes of a 503 answer, counted and logged by the server."""
        self.runtime, self.watchdog, self.refusal = runtime, watchdog, refusal
        self._new: deque = deque()  # sockets handed over by the accept loop
        self._waiting: OrderedDict = OrderedDict()  # socket -> Waiting, oldest first
        self._selector = selectors.DefaultSelector()
        self._wake_in, self._wake_out = socket.socketpair()
        for end in (self._wake_in, self._wake_out):
            end.setblocking(False)
        self._selector.register(self._wake_in, selectors.EVENT_READ)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="overflow", daemon=True)
        self._thread.start()

    def add(self, sock: socket.socket) -> None:
        """From the accept loop: never blocks."""
        self._new.append(sock)
        self._wake()

    def close(self) -> None:
        self._stopping = True
        self._wake()
        self._thread.join(2.0)

    def _wake(self) -> None:
        try:
            self._wake_out.send(b"\0")
        except OSError:  # its buffer full: the thread is awake already
            pass

    def _run(self) -> None:
        while not self._stopping:
            try:
                self._step()
            except Exception:  # a runtime bug: logged, and the thread goes on answering
                log("warning", "overflow connections error", traceback=traceback.format_exc())
                time.sleep(0.1)
        for waiting in list(self._waiting.values()):
            self._close(waiting)
        while self._new:
            self._new.popleft().close()
        self._selector.close()
        self._wake_in.close()
        self._wake_out.close()

    def _step(self) -> None:
        """Wait for data, a new connection or the next deadline; then handle them."""
        now = time.monotonic()
        next_until = min((w.until for w in self._waiting.values()), default=now + 1.0)
        for key, _ in self._selector.select(max(0.0, min(next_until - now, 1.0))):
            if key.fileobj is self._wake_in:
                try:
                    while self._wake_in.recv(4096):
                        pass
                except OSError:
                    pass
            else:
                self._readable(self._waiting.get(key.fileobj))
        while self._new:
            waiting = self._take(self._new.popleft())
            # A probe's request usually came with its connection: read it now, before more
            # new connections can push it out of the table unread.
            self._readable(waiting)
        now = time.monotonic()
        for waiting in [w for w in self._waiting.values() if w.until <= now]:
            if waiting.answered:
                self._close(waiting)
            else:  # its request did not arrive in time
                self._answer(waiting, self.refusal())

    def _evictable(self) -> "Waiting":
        """Which held connection makes room: one already answered (lingering), else the one
        silent longest (a flood of connections that send nothing), else the oldest. A probe
        sends its request at once, so it is rarely the one let go."""
        waiting = self._waiting.values()
        return (next((w for w in waiting if w.answered), None)
                or next((w for w in waiting if not w.head), None)
                or next(iter(waiting)))

    def _take(self, sock: socket.socket):
        if len(self._waiting) >= MAX_OVERFLOW:
            evicted = self._evictable()
            if not evicted.answered:
                self._answer(evicted, self.refusal())
            self._close(evicted)
        try:
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ)
        except (OSError, ValueError):
            sock.close()
            return None
        waiting = self._waiting[sock] = Waiting(sock, time.monotonic() + OVERFLOW_HEAD_SECONDS)
        return waiting

    def _readable(self, waiting) -> None:
        if waiting is None:
            return
        try:
            data = waiting.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the client hung up (or reset): nothing more to answer or drain
            self._close(waiting)
            return
        if waiting.answered:  # lingering: dropped
            return
        waiting.head += data
        head = waiting.head
        start = len(head) - len(head.lstrip(b"\r\n"))  # empty lines before the request line
        if head.find(b"\r\n\r\n", start) < 0 and head.find(b"\n\n", start) < 0:
            if len(waiting.head) > OVERFLOW_HEAD_BYTES:
                self._answer(waiting, self.refusal())
            return
        probe = probe_path(bytes(waiting.head[:OVERFLOW_HEAD_BYTES]))
        self._answer(waiting, self.probe_answer(*probe) if probe else self.refusal())

    def probe_answer(self, method: str, path: str) -> bytes:
        response = probe_response(self.runtime, path, self.watchdog)
        head = [STATUS_LINES[response.status], "Server: pylambda\r\nDate: ", http_date(), "\r\n"]
        head.extend(f"{name}: {value}\r\n" for name, value in response.headers)
        head.append(f"Content-Length: {len(response.body)}\r\nConnection: close\r\n\r\n")
        return "".join(head).encode("latin-1") + (b"" if method == "HEAD" else response.body)

    def _answer(self, waiting: Waiting, answer: bytes) -> None:
        """Send it (a few hundred bytes: they fit any empty send buffer), end our side, and
        linger."""
        waiting.answered = True
        waiting.head = bytearray()
        waiting.until = time.monotonic() + LINGER_SECONDS
        try:
            waiting.sock.send(answer)
            waiting.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(waiting)

    def _close(self, waiting: Waiting) -> None:
        if self._waiting.pop(waiting.sock, None) is None:
            return
        try:
            self._selector.unregister(waiting.sock)
        except (KeyError, ValueError):
            pass
        waiting.sock.close()
