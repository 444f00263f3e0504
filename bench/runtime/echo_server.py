#!/usr/bin/env python3
"""The baseline for the runtime benchmark: the bare minimum the standard library needs to answer
an HTTP call, with the same server model as the runtime package (runtime/pylambda_runtime/,
server.py: ThreadingHTTPServer, HTTP/1.1 keep-alive, daemon threads), echoing the request body
back.

    PORT=8092 python3 bench/runtime/echo_server.py
"""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle's algorithm on, a keep-alive client's
    # delayed ACK holds the second one back for ~40 ms. The baseline should be the best
    # http.server can do, so it sets TCP_NODELAY.
    disable_nagle_algorithm = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "15")
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}')

    def log_message(self, format, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    Server(("127.0.0.1", int(os.environ.get("PORT", "8092"))), Echo).serve_forever()
