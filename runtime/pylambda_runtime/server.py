"""The listening server: one thread per connection up to PYLAMBDA_MAX_CONNECTIONS, a 503
without a thread past that, and an accept loop that backs off instead of spinning when the
process runs out of file descriptors."""

import errno
import json
import os
import socket
import socketserver
import sys
import time
import traceback
from http.server import ThreadingHTTPServer

from .bodies import JSON_TYPE
from .connection import RequestHandler
from .framing import http_date
from .idle import IdleConnections
from .logs import ThrottledLog, log
from .overflow import Overflow
from .state import Runtime
from .watchdog import Watchdog


# accept() failing with these is the process or the system out of a resource: retrying at
# once would spin (the listening socket stays readable), so the accept loop backs off.
ACCEPT_EXHAUSTED = frozenset(getattr(errno, name) for name in ("EMFILE", "ENFILE", "ENOBUFS", "ENOMEM")
                             if hasattr(errno, name))
# Connections admitted past the cap, each in place of a silent or idle one being closed,
# until that one's thread ends (at once: its receive returns the end of the stream).
MAX_REPLACING = 16


class Server(ThreadingHTTPServer):
    """One thread per connection, at most PYLAMBDA_MAX_CONNECTIONS of them. At the cap a new
    connection takes the place of one waiting for a request, which is closed: the one that
    has waited longest for its first byte, else the keep-alive connection idle longest
    (idle.py). With none waiting long enough it gets no thread: overflow.py answers it, a
    liveness or readiness probe with the probe's answer (so that a pod whose connections
    are all busy is not restarted for it), anything else with 503."""

    daemon_threads = True  # a stuck call never blocks exit
    request_queue_size = 128  # socketserver's default of 5 resets connections under bursts

    def __init__(self, address, runtime: Runtime):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.runtime = runtime
        super().__init__(address, RequestHandler)
        self.watchdog = Watchdog(runtime)
        self.max_connections = runtime.settings.max_connections
        self.idle_connections = IdleConnections()
        self._accept_backoff = 0.0
        self._log_accept_failure = ThrottledLog("cannot accept connections; backing off")
        self._log_refusal = ThrottledLog("connections refused: too many open")
        self._log_connection_error = ThrottledLog("client connection error")
        # Requests refused for their framing (400, 408, 414, 431, 505), one log per status.
        self.framing_error_logs: dict = {}
        self.overflow = Overflow(runtime, self.watchdog, self.refusal)

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
        # Blocking, whatever socket.setdefaulttimeout the handler's code set (accept() gives
        # the new socket that default): a connection's waits are the runtime's own kernel
        # timeouts (deadlines.py), and a Python timeout would end a wait for a request early,
        # closing the connection unanswered (at 0, at once).
        accepted[0].settimeout(None)
        return accepted

    def process_request(self, request, client_address) -> None:
        """Only this thread counts connections in, so the count read here cannot grow
        before connection_opened."""
        metrics = self.runtime.metrics
        replacing = metrics.connections >= self.max_connections
        if replacing and not (metrics.connections < self.max_connections + MAX_REPLACING
                              and self.idle_connections.close_oldest()):
            self.overflow.add(request)  # a probe answered, else 503; never the handler
            return
        metrics.connection_opened(replacing)
        super().process_request(request, client_address)  # on failure: shutdown_request

    def shutdown_request(self, request) -> None:
        try:
            super().shutdown_request(request)
        finally:
            self.runtime.metrics.connection_closed()

    def refusal(self) -> bytes:
        """A 503 for a connection past the cap (from the overflow thread): counted, logged."""
        self.runtime.metrics.connection_refused()
        self._log_refusal(maxConnections=self.max_connections,
                          variable="PYLAMBDA_MAX_CONNECTIONS")
        body = json.dumps({"error": f"too many connections: {self.max_connections} are open "
                                    "(PYLAMBDA_MAX_CONNECTIONS); retry later",
                           "type": "TooManyConnections"}).encode()
        head = (f"HTTP/1.1 503 Service Unavailable\r\nServer: pylambda\r\nDate: {http_date()}"
                f"\r\nContent-Type: {JSON_TYPE}\r\nContent-Length: {len(body)}\r\n"
                "Retry-After: 1\r\nConnection: close\r\n\r\n")
        return head.encode("latin-1") + body

    def server_close(self) -> None:
        super().server_close()
        if hasattr(self, "overflow"):  # not when binding failed, in TCPServer.__init__
            self.overflow.close()

    def server_bind(self) -> None:
        """Skips HTTPServer's getfqdn(), a reverse DNS lookup that can stall startup."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        """An exception that ended a connection's thread. One from the client's socket (a
        reset, a broken pipe) is the client going away, possibly thousands of times a
        second: throttled, without a traceback. Anything else is a runtime bug."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            self._log_connection_error(error=f"{type(error).__name__}: {error}")
        else:
            log("warning", "connection error", traceback=traceback.format_exc())
