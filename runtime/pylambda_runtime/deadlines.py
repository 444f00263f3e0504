"""A connection's socket timeouts: the idle timeout, set in the kernel so that it costs
nothing per recv or send, and the deadlines of the request being read (slowloris)."""

import io
import socket
import struct
import time
from typing import Optional


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
