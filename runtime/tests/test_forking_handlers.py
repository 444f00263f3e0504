"""A handler that calls os.fork(), against a real runtime process: the child it forks ends
when the handler returns (or raises) in it, with the exit status a Python program would
have, so the client gets one answer, the parent's, and the connection goes on with the
parent alone; the child never holds the listening port."""

import json
import os
import signal
import socket
import time
import unittest
from pathlib import Path

from runtime.tests.harness import WAIT, read_response, read_to_end, start, status_of

HANDLER = {"main.py": """
    import os
    import time

    def handler(event, context):
        if context.path != "/fork":
            return {"path": context.path, "pid": os.getpid()}
        child = os.fork()
        if child == 0:
            time.sleep(float(context.query.get("stay", "0")))
            if "code" in context.query:
                raise SystemExit(int(context.query["code"]))
            if "raise" in context.query:
                raise ValueError("in the child")
        return {"child": child == 0, "childPid": child, "pid": os.getpid()}
"""}


def exit_status(pid: int, within: float) -> int:
    """The wait status of `pid`, a child of the runtime it never waits for (a zombie once it
    exited): /proc/PID/stat's exit_code field. Fails if it has not exited `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        if fields[0] == "Z":
            return int(fields[49])
        if time.monotonic() > deadline:
            raise AssertionError(f"the forked child {pid} is still running ({fields[0]})")
        time.sleep(0.02)


class ForkingHandlerTest(unittest.TestCase):
    def setUp(self):
        self.runtime = start(self, HANDLER)
        self.runtime.wait_healthy()

    def fork_call(self, query: str) -> dict:
        """A call that forks, then another on the same keep-alive connection: each answered
        once, by the runtime's own process. The first's JSON."""
        with socket.create_connection(("127.0.0.1", self.runtime.port), timeout=WAIT) as sock:
            sock.sendall(b"GET /fork?%s HTTP/1.1\r\nHost: x\r\n\r\n" % query.encode())
            first = read_response(sock)
            self.assertEqual(status_of(first), 200, first)
            answer = json.loads(first.partition(b"\r\n\r\n")[2])
            self.addCleanup(kill_quietly, answer["childPid"])
            time.sleep(0.3)  # a child that answers too would have by now
            sock.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            rest = read_to_end(sock)
        self.assertEqual(rest.count(b"\r\nServer: pylambda\r\n"), 1, rest)  # /next's alone
        self.assertEqual(json.loads(rest.partition(b"\r\n\r\n")[2]),
                         {"path": "/next", "pid": self.runtime.proc.pid})
        self.assertEqual((answer["child"], answer["pid"]), (False, self.runtime.proc.pid))
        return answer

    def test_the_child_of_a_fork_exits_as_the_handler_returns_or_raises_in_it(self):
        for query, status in (("", 0), ("code=3", 3 << 8), ("raise=1", 1 << 8)):
            with self.subTest(query=query):
                child = self.fork_call(query)["childPid"]
                self.assertEqual(exit_status(child, WAIT), status)
        time.sleep(0.1)  # the log writer's batch
        calls = [r["path"] for r in self.runtime.records() if r.get("msg") == "call"]
        self.assertEqual(calls, ["/fork", "/next"] * 3)  # logged by the parent only
        self.assertEqual(self.runtime.metrics()['pylambda_invocations_total{code="200"}'], 6)

    def test_a_forked_child_that_outlives_the_runtime_does_not_hold_its_port(self):
        child = self.fork_call("stay=3")["childPid"]
        self.runtime.proc.kill()
        self.runtime.proc.wait(WAIT)
        os.kill(child, 0)  # still running, with whatever sockets it kept
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self.runtime.port))  # EADDRINUSE while it listens there
            sock.listen()


def kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


if __name__ == "__main__":
    unittest.main()
