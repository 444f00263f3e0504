"""The keep-alive connections waiting for their next request. At PYLAMBDA_MAX_CONNECTIONS
the server closes the one that has waited longest to make room for a new connection, so
clients that keep connections open but idle cannot lock everyone else out."""

import socket
import threading


class IdleConnections:
    """Readers (deadlines.RequestReader) blocked in a receive between two requests, oldest
    first. A reader is in it only while that receive runs, so a connection mid-request (or
    one with the next request already buffered) is never closed from here."""

    def __init__(self):
        self._lock = threading.Lock()
        self._waiting: dict = {}  # reader -> None, in the order they started waiting

    def add(self, reader) -> None:
        with self._lock:
            self._waiting[reader] = None

    def discard(self, reader) -> bool:
        """Whether it was still waiting; False once close_oldest closed it meanwhile."""
        with self._lock:
            return self._waiting.pop(reader, False) is None

    def close_oldest(self) -> bool:
        """End the connection that has waited longest: its blocked receive returns the end
        of the stream and its thread closes it. False when none is waiting. Under the lock,
        so its thread cannot close the socket (and free the descriptor) meanwhile."""
        with self._lock:
            if not self._waiting:
                return False
            reader = next(iter(self._waiting))
            del self._waiting[reader]
            try:
                reader.sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # the client hung up already: the thread ends on its own
                pass
            return True
