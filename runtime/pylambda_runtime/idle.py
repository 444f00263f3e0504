"""The connections waiting for a request: fresh ones that have not sent a byte yet, and
keep-alive ones waiting between two requests. At PYLAMBDA_MAX_CONNECTIONS the server closes
one of them to make room for a new connection, so clients that open connections and leave
them silent or idle cannot lock everyone else out (the kubelet's probes among them).

Which one: a fresh connection that has sent nothing first, the one that has waited longest
for its first byte. It costs the least to drop: its client has not started a request, and
a real HTTP client sends its request as soon as it has connected, so one silent for long is
most likely holding a slot on purpose (256 such connections, re-opened whenever the header
timeout closes them, would otherwise keep the server at the cap for good). Only with none
of those, the keep-alive connection idle longest: its client proved itself with a request,
and loses only its pooled connection (it opens a new one for its next request)."""

import socket
import threading
import time

# How long a connection must have waited for a request before it may be closed for another.
# A keep-alive client sends its next request as soon as it has read the last answer, so one
# idle for a few milliseconds is likely to have that request on its way: closing it then
# would lose the request (the client sees the close after sending it, and not every client
# retries). A fresh connection's request is on its way just after the accept, likewise. A
# second is far longer than a client takes, and far shorter than the idle and header
# timeouts, so connections held on purpose are still replaced; with none waiting that long,
# the new connection is refused (503) instead.
REPLACEABLE_AFTER_SECONDS = 1.0


class IdleConnections:
    """Readers (deadlines.RequestReader) blocked in a receive before a request's first byte,
    oldest first in two groups: `silent` (a connection's first request) and `idle` (between
    requests). A reader is in it only while that receive runs, so a connection mid-request (or
    one with the next request already buffered) is never closed from here."""

    def __init__(self):
        self._lock = threading.Lock()
        # reader -> when it started waiting, in that order (dicts keep insertion order)
        self._silent: dict = {}
        self._idle: dict = {}

    def add(self, reader, first: bool) -> None:
        """`first`: the connection has not sent a byte yet (its first request)."""
        with self._lock:
            (self._silent if first else self._idle)[reader] = time.monotonic()

    def discard(self, reader) -> bool:
        """Whether it was still waiting; False once close_oldest closed it meanwhile."""
        with self._lock:
            if self._silent.pop(reader, None) is not None:
                return True
            return self._idle.pop(reader, None) is not None

    def close_oldest(self) -> bool:
        """End the silent connection that has waited longest, else the idle one that has,
        if it has waited REPLACEABLE_AFTER_SECONDS at least: its blocked receive returns the
        end of the stream and its thread closes it, without an answer. False when none is
        waiting that long. Under the lock, so its thread cannot close the socket (and free
        the descriptor) meanwhile."""
        with self._lock:
            oldest_allowed = time.monotonic() - REPLACEABLE_AFTER_SECONDS
            for waiting in (self._silent, self._idle):
                # Oldest first (added under this lock, in time order).
                for reader, since in waiting.items():
                    if since > oldest_allowed:
                        break
                    if has_arrived(reader.sock):
                        # Its request came, and its thread is waking (for the GIL, on a busy
                        # runtime) to read it: closed now, that request would be dropped
                        # unanswered. It is mid-request, which is never closed for another.
                        continue
                    del waiting[reader]
                    try:
                        reader.sock.shutdown(socket.SHUT_RDWR)
                    except OSError:  # the client hung up already: the thread ends on its own
                        pass
                    return True
            return False


def has_arrived(sock: socket.socket) -> bool:
    """Whether bytes of a request wait unread in the socket (peeked, never waited for)."""
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:  # reset: nothing more will come
        return False
