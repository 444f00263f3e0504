"""A connection's socket timeouts: the idle timeout, set in the kernel so that it costs
nothing per recv or send, the deadlines of the request being read (slowloris), and the
deadline of the response being written (a client that reads slowly, or not at all)."""

import io
import socket
import struct
import time
from typing import Callable, Optional


def set_idle_timeout(sock: socket.socket, seconds: float, send_seconds: Optional[float] = None,
                     receive_only=False) -> None:
    """The kernel's receive and send timeouts on a blocking socket: a recv that waited that
    long ends (the buffered reader then returns what it has, b"" when idle, which ends the
    connection), a send fails with BlockingIOError. Unlike socket.settimeout, which makes
    every recv and send poll() first, this costs nothing per call. The send timeout is
    `send_seconds` if given, else `seconds` (or left alone, receive_only)."""
    try:
        if not receive_only:
            _set_timeval(sock, socket.SO_SNDTIMEO, seconds if send_seconds is None else send_seconds)
        _set_timeval(sock, socket.SO_RCVTIMEO, seconds)
    except (OSError, AttributeError, struct.error):
        sock.settimeout(seconds)  # a platform without them: the same limits, polled


def _set_timeval(sock: socket.socket, option: int, seconds: float) -> None:
    whole = int(seconds)
    sock.setsockopt(socket.SOL_SOCKET, option, struct.pack("ll", whole, int((seconds - whole) * 1e6)))


SMALL_BODY = 16 << 10
# While a body is read, one receive takes at most this much: each is claimed from the body
# budget once it has arrived (budget.py), so a body can overshoot the budget by at most
# this, for the moment before it is refused. 64 KiB: 96 receives for a 6 MiB body.
BODY_RECEIVE_BYTES = 64 << 10


class WriteTimeout(Exception):
    """A response was not written whole by its deadline."""


def send_within(sock: socket.socket, head: bytes, body: bytes, seconds: float) -> None:
    """Write `head` then `body` within `seconds` in all, or raise WriteTimeout.

    One sendmsg carries both, so a large body is never copied into one buffer with the
    head.
    The socket's send timeout is `seconds` already (set once per connection), and Linux
    counts it over one whole send call, not per bit of progress: a response that fits the
    send buffer, nearly every one, costs this one system call. Only when a send comes back
    short (the client reads slowly) is the timeout lowered to what is left, then restored,
    so that a client reading a byte now and then cannot hold the connection past it."""
    deadline = time.monotonic() + seconds
    if len(body) < SMALL_BODY:  # joined: cheaper than a list of views, and a copy of little
        parts = [memoryview(head + body)]
    else:
        parts = [memoryview(head), memoryview(body)]
    lowered = False
    try:
        while True:
            try:
                sent = sock.sendmsg(parts) if len(parts) > 1 else sock.send(parts[0])
            except (BlockingIOError, TimeoutError):  # the send timeout, with nothing sent
                sent = 0
            while parts and sent >= len(parts[0]):
                sent -= len(parts.pop(0))
            if not parts:
                return
            if sent:
                parts[0] = parts[0][sent:]
            left = deadline - time.monotonic()
            if left <= 0.001:
                raise WriteTimeout()
            _set_timeval(sock, socket.SO_SNDTIMEO, left)
            lowered = True
    finally:
        parts.clear()  # the views, so the body's bytes can be freed with the response
        if lowered:
            try:
                _set_timeval(sock, socket.SO_SNDTIMEO, seconds)
            except OSError:
                pass


class RequestTimeout(Exception):
    """A request's headers or body did not arrive by their deadline."""


class RequestReader(io.RawIOBase):
    """A connection's receiving side, with a deadline for the request being read.

    The idle timeout alone restarts with every byte, so a client sending one byte now and
    then would hold its thread for ever (slowloris). Here a request's headers must all
    arrive within the header timeout, and its body by the call's deadline (set by the
    caller); past either, a read raises RequestTimeout. The header clock of a connection's
    first request starts when the connection is accepted, so a client that connects and
    sends nothing holds its thread no longer than one that sends slowly; between requests
    the wait for the next one is the idle timeout, and the clock starts with its first
    byte (at once when that byte came with the last request: expect_request). Once a
    request has started only its deadlines end it. The kernel's receive timeout is lowered
    to the time left only when a request needs it, so a request that arrives at once costs
    no extra system call. While a body is read, each receive is
    reported to `on_body_bytes` as it arrives (the body budget claims it there).

    While it waits for a request's first byte (a fresh connection's first request, or the
    next one on a keep-alive connection) the reader is in `idle_connections`, which may end
    the connection to make room for a new one: the wait then reads as the end of the
    stream."""

    def __init__(self, sock: socket.socket, idle_seconds: float, idle_connections=None,
                 receive_timeout: Optional[float] = None):
        self.sock, self.idle_seconds = sock, idle_seconds
        self.idle_connections = idle_connections
        self.receive_timeout = receive_timeout or idle_seconds  # what SO_RCVTIMEO is set to now
        self.deadline: Optional[float] = None  # monotonic time by which the reads must end
        self.header_seconds = 0.0  # a deadline this far after the next data, once it arrives
        self.started = False  # a byte of the current request has arrived
        self.between_requests = False  # waiting for a request after the first
        self.peeking = False  # in holds_data: a read must not receive
        # While a body is read: told of each receive's size (may raise, to refuse the body).
        self.on_body_bytes: Optional[Callable[[int], None]] = None

    def readable(self) -> bool:
        return True

    def expect_request(self, header_seconds: float, first: bool = False,
                       buffered: bool = False) -> None:
        """The next data starts a request, whose headers get `header_seconds`: from now for
        a connection's first request, else from its first byte. `buffered`: bytes of it
        came with the last request (pipelined) and wait in the buffered reader, so no
        receive will see its first byte: it has started, its clock starts now, and it is
        not waiting for a request (never closed to make room)."""
        self.started, self.between_requests = buffered, not first
        if first or buffered:
            self.deadline, self.header_seconds = time.monotonic() + header_seconds, 0.0
        else:
            self.deadline, self.header_seconds = None, header_seconds
        if not first and self.receive_timeout != self.idle_seconds:  # lowered for the last one
            self._set_receive_timeout(self.idle_seconds)

    def holds_data(self, rfile: io.BufferedReader) -> bool:
        """Whether `rfile`, the buffered reader over this one, holds bytes not read yet. Its
        peek reads from here only when it holds none, and then gets None (no data now)
        instead of a receive, so this never waits."""
        self.peeking = True
        try:
            return bool(rfile.peek(1))
        finally:
            self.peeking = False

    def _set_receive_timeout(self, seconds: float) -> None:
        set_idle_timeout(self.sock, seconds, receive_only=True)
        self.receive_timeout = seconds

    def readinto(self, buffer) -> Optional[int]:
        if self.peeking:
            return None
        while True:
            deadline = self.deadline
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RequestTimeout()
                if left < self.receive_timeout:
                    self._set_receive_timeout(max(left, 0.001))
            if self.on_body_bytes is not None and len(buffer) > BODY_RECEIVE_BYTES:
                buffer = memoryview(buffer)[:BODY_RECEIVE_BYTES]
            try:
                received = self._receive(buffer)
            except (BlockingIOError, TimeoutError):  # the receive timeout
                if deadline is not None and time.monotonic() >= deadline - 0.01:
                    raise RequestTimeout() from None
                if self.started and deadline is not None:
                    continue  # mid-request: only its deadline ends the wait
                return None  # idle: the buffered reader returns what it has
            except OSError:  # reset: the client went away, which reads as the end of the stream
                return 0
            if received and not self.started:
                self.started = True
                if self.header_seconds:
                    self.deadline, self.header_seconds = time.monotonic() + self.header_seconds, 0.0
            if received and self.on_body_bytes is not None:
                self.on_body_bytes(received)
            return received

    def _receive(self, buffer) -> int:
        idle = self.idle_connections
        if self.started or idle is None:
            return self.sock.recv_into(buffer)
        idle.add(self, first=not self.between_requests)
        try:
            received = self.sock.recv_into(buffer)
        finally:
            still_ours = idle.discard(self)
        return received if still_ours else 0  # closed to make room: what came is dropped
