"""Start the runtime exactly as a pod does (`python -u -P -m pylambda_runtime` with PYTHONPATH
naming the package's folder, settings in env) and talk to it.

Every wait is bounded; a process is always killed in stop(), which tests register as a
cleanup as soon as the process exists.
"""

import http.client
import json
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

RUNTIME_PARENT = Path(__file__).resolve().parent.parent  # runtime/, holding the package
RUNTIME_COMMAND = [sys.executable, "-u", "-P", "-m", "pylambda_runtime"]
WAIT = 10.0  # the most any single wait may take; a passing run needs a fraction of it


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


class RuntimeProcess:
    """One runtime process serving handler modules written to a fresh temp code dir; its
    working directory is the temp dir holding the code dir, or (in_code_dir) the code dir
    itself, as in a pod."""

    def __init__(self, files: dict, env: dict = None, port: str = "0", code_dir: str = None,
                 max_open_files: int = None, in_code_dir: bool = False,
                 stdin=subprocess.DEVNULL):
        self._tmp = tempfile.TemporaryDirectory(prefix="pylambda-test-")
        self.root = Path(self._tmp.name)
        self.code_dir = self.root / "code"
        write_files(self.code_dir, files)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("PYLAMBDA_")}
        full_env.update(
            PYLAMBDA_CODE_DIR=code_dir or str(self.code_dir),
            PYLAMBDA_HOST="127.0.0.1",
            PYLAMBDA_PORT=port,
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONPATH=str(RUNTIME_PARENT),
        )
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            RUNTIME_COMMAND,
            env=full_env,
            cwd=self.code_dir if in_code_dir else self.root,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=None if max_open_files is None else (
                lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (max_open_files, max_open_files))),
        )
        self.stdout: list = []
        self.stderr: list = []
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self.port = None

    def _read(self, stream, sink: list) -> None:
        for raw in stream:
            with self._changed:
                sink.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------ logs

    def records(self) -> list:
        """stdout parsed as JSON lines (a non-JSON line fails the test that reads it)."""
        with self._changed:
            return [json.loads(line) for line in self.stdout]

    def output(self) -> str:
        with self._changed:
            return "\n".join(["--- stdout"] + self.stdout + ["--- stderr"] + self.stderr)

    def wait_for_log(self, predicate, timeout: float = WAIT) -> dict:
        """The first JSON log line matching predicate, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.stdout:
                    try:
                        record = json.loads(line)
                    except ValueError:
                        continue
                    if predicate(record):
                        return record
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching log line in {timeout}s\n{self.output()}")
                self._changed.wait(min(remaining, 0.1))

    # ------------------------------------------------------------ lifecycle

    def start(self) -> "RuntimeProcess":
        """Wait for the "listening" line, which carries the port actually bound (PORT=0)."""
        record = self.wait_for_log(lambda r: r.get("msg") == "listening")
        self.port = record["port"]
        return self

    def wait_healthy(self, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.request("GET", "/healthz").status == 200:
                return
            time.sleep(0.02)
        raise AssertionError(f"/healthz never answered 200\n{self.output()}")

    def signal(self, signum=signal.SIGTERM) -> None:
        self.proc.send_signal(signum)

    def wait_exit(self, timeout: float = WAIT) -> int:
        """The exit code, once the process ended and its output has been read to the end."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"runtime did not exit in {timeout}s\n{self.output()}") from None
        for reader in self._readers:
            reader.join(timeout)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(WAIT)
        for reader in self._readers:
            reader.join(WAIT)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        self._tmp.cleanup()

    # ------------------------------------------------------------ HTTP

    def connection(self, timeout: float = WAIT) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout: float = WAIT) -> Reply:
        """One request on a fresh connection."""
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def cpu_seconds(self) -> float:
        """User and system CPU time the process has used so far (Linux: /proc/PID/stat)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def metrics(self) -> dict:
        """Samples from /metrics as {"name{labels}": value}."""
        text = self.request("GET", "/metrics").body.decode()
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
        return samples


def read_to_eof(address, data: bytes, timeout: float) -> tuple:
    """Send `data` on a new connection (left open) and read until the server ends it:
    (everything that came back, seconds it took). A reset counts as the end."""
    with socket.create_connection(address, timeout=timeout) as sock:
        started = time.monotonic()
        sock.sendall(data)
        received = read_to_end(sock)
        return received, time.monotonic() - started


# ------------------------------------------------------------ raw sockets
# For tests that must control exactly what a client sends and when (silent connections,
# stalled bodies, connections held at the cap). Every socket has a timeout and is closed by
# the test's cleanups.


def connect(test, port: int, timeout: float = WAIT) -> socket.socket:
    """A new connection to the runtime, closed when `test` ends."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    test.addCleanup(sock.close)
    return sock


def connect_many(test, port: int, count: int, pause: float = 0.0) -> list:
    """`count` connections that send nothing (yet), `pause` seconds apart."""
    sockets = []
    for _ in range(count):
        sockets.append(connect(test, port))
        if pause:
            time.sleep(pause)
    return sockets


def answered(sock: socket.socket, within: float) -> bool:
    """Whether the server sent something, or ended the connection, within `within` seconds."""
    return bool(select.select([sock], [], [], within)[0])


def read_to_end(sock: socket.socket) -> bytes:
    """Everything until the server ends the connection; a reset counts as the end."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def read_response(sock: socket.socket) -> bytes:
    """One response on a connection left open: its head and its Content-Length of body (or
    what came before the server ended the connection)."""
    received = b""
    while True:
        head, blank, body = received.partition(b"\r\n\r\n")
        if blank:
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                           if line.lower().startswith(b"content-length:")), 0)
            if len(body) >= length:
                return received
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return received
        received += chunk


def status_of(answer: bytes) -> int:
    """The status code of a raw response, 0 for none (the connection ended unanswered)."""
    return int(answer[9:12]) if answer.startswith(b"HTTP/1.") else 0


def raw_get(port: int, path: str, timeout: float = WAIT) -> bytes:
    """A probe as the kubelet sends one (HTTP/1.1, a new connection, Connection: close) and
    its whole answer, b"" if the connection ended without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: kube-probe/1.30\r\n"
                     b"Accept: */*\r\nConnection: close\r\n\r\n" % path.encode())
        return read_to_end(sock)


def get_kept_open(test, port: int, path: str) -> tuple:
    """A GET on a new keep-alive connection, left open (it holds its slot): (the socket,
    the answer)."""
    sock = connect(test, port)
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
    return sock, read_response(sock)


def push(socks: list, data: bytes, seconds: float) -> list:
    """Send `data` on every socket at once, as far as the server takes it (non-blocking,
    round robin), until all of it is sent, or `seconds` passed, or for half a second none
    took a byte (the server stopped reading them). How many bytes each one sent; a socket
    the server ended (a reset, a broken pipe) stops where it was."""
    sent = [0] * len(socks)
    deadline = time.monotonic() + seconds
    for sock in socks:
        sock.setblocking(False)
    try:
        open_ones = set(range(len(socks)))
        last_progress = time.monotonic()
        while open_ones and time.monotonic() < deadline:
            writable = select.select([], [socks[i] for i in open_ones], [], 0.1)[1]
            for i in [i for i in open_ones if socks[i] in writable]:
                try:
                    n = socks[i].send(data[sent[i]:sent[i] + (256 << 10)])
                except BlockingIOError:
                    continue
                except OSError:
                    open_ones.discard(i)
                    continue
                sent[i] += n
                last_progress = time.monotonic()
                if sent[i] == len(data):
                    open_ones.discard(i)
            if time.monotonic() - last_progress > 0.5:
                break
    finally:
        for sock in socks:
            sock.settimeout(WAIT)
    return sent


def write_files(root: Path, files: dict) -> None:
    """Write {relative path: source} (dedented), creating packages' folders."""
    root.mkdir(parents=True, exist_ok=True)
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


def start(test, files: dict, env: dict = None, **kwargs) -> RuntimeProcess:
    """Start a runtime whose kill is registered on `test` before anything can fail."""
    process = RuntimeProcess(files, env, **kwargs)
    test.addCleanup(process.stop)
    return process.start()
