"""The runtime's life: settings, importing the handler, timeouts, SIGTERM and draining."""

import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path
from unittest import mock

from runtime.pylambda_runtime import settings as settings_module
from runtime.pylambda_runtime.settings import SettingsError, load_settings, settings_environment
from runtime.tests.harness import WAIT, RuntimeProcess, start, write_files

SLEEPY = """
import time


def handler(event, context):
    if context.path == "/slow":
        time.sleep(float(context.query.get("s", "1")))
    return {"path": context.path, "remaining": context.remaining_time_ms()}
"""


def in_background(test, fn):
    """Run fn on a thread; returns a function that joins it (bounded) and gives its result
    or raises its exception."""
    box = {}

    def run():
        try:
            box["result"] = fn()
        except Exception as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result():
        thread.join(WAIT)
        test.assertFalse(thread.is_alive(), "background call did not finish")
        if "error" in box:
            raise box["error"]
        return box["result"]

    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SettingsTest(unittest.TestCase):
    def test_bad_settings_exit_non_zero_with_one_json_line_naming_the_variable(self):
        cases = {
            "PYLAMBDA_PORT": ["http", "70000", "-1", "80.5"],
            "PYLAMBDA_TIMEOUT_SECONDS": ["0", "-3", "soon", "nan", "inf"],
            "PYLAMBDA_DRAIN_SECONDS": ["-1", "x"],
            "PYLAMBDA_MAX_BODY_BYTES": ["0", "1MB"],
            "PYLAMBDA_HANDLER": ["main", "main.", "1main.handler", "main.handler()"],
            "PYLAMBDA_CODE_DIR": ["/nonexistent/pylambda/code"],
            "PYLAMBDA_STOP_WHEN_STDIN_CLOSES": ["yes", "2", "on"],
        }
        for variable, values in cases.items():
            for value in values:
                with self.subTest(variable=variable, value=value):
                    process = RuntimeProcess({"main.py": SLEEPY}, {variable: value})
                    self.addCleanup(process.stop)
                    self.assertEqual(process.wait_exit(), 2)
                    records = process.records()
                    self.assertEqual(len(records), 1, process.output())
                    self.assertEqual(records[0]["level"], "error")
                    self.assertEqual(records[0]["variable"], variable)
                    self.assertIn(variable, records[0]["msg"])

    def test_explicit_port_and_host(self):
        port = free_port()
        process = start(self, {"main.py": SLEEPY}, port=str(port))
        self.assertEqual(process.port, port)
        process.wait_healthy()
        self.assertEqual(process.request("GET", "/x").status, 200)

    def test_port_in_use_exits_1(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            process = RuntimeProcess({"main.py": SLEEPY}, port=str(busy.getsockname()[1]))
            self.addCleanup(process.stop)
            self.assertEqual(process.wait_exit(), 1)
        self.assertIn("cannot listen", process.records()[-1]["msg"])

    def test_defaults(self):
        settings = load_settings({})
        self.assertEqual(
            (settings.handler, settings.host, settings.port, settings.timeout_seconds),
            ("main.handler", "0.0.0.0", 8080, 30.0),
        )
        self.assertEqual((settings.drain_seconds, settings.deps_dir), (0.0, None))
        self.assertEqual(settings.code_dir, os.getcwd())
        self.assertEqual(load_settings({"PYLAMBDA_PORT": ""}).port, 8080)


class ImportTest(unittest.TestCase):
    def test_dotted_handler_in_a_package(self):
        files = {
            "pkg/__init__.py": "",
            "pkg/api/__init__.py": "",
            "pkg/api/views.py": "def serve(event, context):\n    return {'served': True}\n",
        }
        process = start(self, files, {"PYLAMBDA_HANDLER": "pkg.api.views.serve"})
        process.wait_healthy()
        self.assertEqual(process.request("GET", "/").json(), {"served": True})

    def test_deps_dir_is_on_the_path_after_the_code_dir(self):
        deps = tempfile.TemporaryDirectory(prefix="pylambda-deps-")
        self.addCleanup(deps.cleanup)
        write_files(Path(deps.name), {"dep.py": "NAME = 'deps'\n", "shadowed.py": "NAME = 'deps'\n"})
        files = {
            "main.py": "import dep, shadowed\n\n"
            "def handler(event, context):\n    return [dep.NAME, shadowed.NAME]\n",
            "shadowed.py": "NAME = 'code'\n",
        }
        process = start(self, files, {"PYLAMBDA_DEPS_DIR": deps.name})
        process.wait_healthy()
        self.assertEqual(process.request("GET", "/").json(), ["deps", "code"])

    def test_a_missing_deps_dir_is_ignored(self):
        process = start(self, {"main.py": SLEEPY}, {"PYLAMBDA_DEPS_DIR": "/nonexistent/deps"})
        process.wait_healthy()

    def test_slow_import_answers_503_then_200(self):
        slow = "import time\ntime.sleep(1.0)\n\ndef handler(event, context):\n    return 'up'\n"
        process = start(self, {"main.py": slow})
        health = process.request("GET", "/healthz")
        self.assertEqual(health.status, 503)
        self.assertEqual(health.json()["status"], "importing")
        self.assertIn("main.handler", health.json()["reason"])
        call = process.request("POST", "/anything", b"{}", {"Content-Type": "application/json"})
        self.assertEqual((call.status, call.json()["type"]), (503, "NotReady"))
        process.wait_healthy()
        self.assertEqual(process.request("GET", "/").body, b"up")
        imported = process.wait_for_log(lambda r: r["msg"] == "handler imported")
        self.assertGreaterEqual(imported["importMs"], 900)

    def test_import_errors_fail_the_probe_and_are_logged_once(self):
        cases = {
            "raises": ({"main.py": "raise RuntimeError('no database')\n"}, "RuntimeError"),
            "syntax": ({"main.py": "def handler(:\n"}, "SyntaxError"),
            "no module": ({"other.py": ""}, "ModuleNotFoundError"),
            "no function": ({"main.py": "x = 1\n"}, "AttributeError"),
            "exits": ({"main.py": "import sys\nsys.exit(3)\n"}, "SystemExit"),
        }
        for name, (files, error_type) in cases.items():
            with self.subTest(name):
                process = start(self, files)
                failed = process.wait_for_log(lambda r: r["msg"] == "handler import failed")
                self.assertEqual((failed["level"], failed["type"]), ("error", error_type))
                self.assertIn("Traceback", failed["traceback"])
                for _ in range(3):
                    health = process.request("GET", "/healthz")
                    self.assertEqual(health.status, 503)
                    self.assertEqual(health.json()["status"], "import_failed")
                    self.assertIn(error_type, health.json()["reason"])
                call = process.request("GET", "/")
                self.assertEqual((call.status, call.json()["type"]), (503, "NotReady"))
                self.assertIsNone(process.proc.poll(), "the process keeps running")
                failures = [r for r in process.records() if r["msg"] == "handler import failed"]
                self.assertEqual(len(failures), 1)
                self.assertEqual(process.metrics()["pylambda_handler_ready"], 0)


class TimeoutTest(unittest.TestCase):
    def test_a_call_past_the_timeout_is_504_while_others_answer_fast(self):
        process = start(self, {"main.py": SLEEPY}, {"PYLAMBDA_TIMEOUT_SECONDS": "0.5"})
        process.wait_healthy()
        started = time.monotonic()
        slow = in_background(self, lambda: process.request("GET", "/slow?s=1.5"))
        time.sleep(0.1)
        quick_started = time.monotonic()
        quick = process.request("GET", "/quick")
        self.assertEqual(quick.status, 200)
        self.assertLess(time.monotonic() - quick_started, 0.4, "a slow call blocked a quick one")
        self.assertGreater(quick.json()["remaining"], 300)
        reply = slow()
        elapsed = time.monotonic() - started
        self.assertEqual(reply.status, 504)
        self.assertEqual(reply.json()["type"], "Timeout")
        self.assertIn("0.5s", reply.json()["error"])
        self.assertTrue(0.45 <= elapsed < 1.2, f"504 after {elapsed:.2f}s, not at the deadline")
        metrics = process.metrics()
        self.assertEqual(metrics["pylambda_invocation_timeouts_total"], 1)
        self.assertEqual(metrics['pylambda_invocations_total{code="504"}'], 1)
        self.assertEqual(metrics["pylambda_invocation_errors_total"], 1)
        self.assertEqual(metrics["pylambda_abandoned_invocations"], 1)
        late = process.wait_for_log(lambda r: r["msg"] == "timed-out call finished")
        self.assertGreaterEqual(late["durationMs"], 1400)
        self.assertEqual(process.metrics()["pylambda_abandoned_invocations"], 0)
        self.assertEqual(process.request("GET", "/after").status, 200)


    def test_encoding_what_the_handler_returned_is_within_its_deadline(self):
        slow_header = """
import time


class SlowText:
    def __str__(self):
        time.sleep(1.5)
        return "late"


def handler(event, context):
    return {"statusCode": 200, "headers": {"X-Slow": SlowText()}, "body": {"ok": True}}
"""
        process = start(self, {"main.py": slow_header}, {"PYLAMBDA_TIMEOUT_SECONDS": "0.5"})
        process.wait_healthy()
        reply = process.request("GET", "/")
        self.assertEqual((reply.status, reply.json()["type"]), (504, "Timeout"))
        process.wait_for_log(lambda r: r["msg"] == "timed-out call finished")
        self.assertEqual(process.metrics()["pylambda_abandoned_invocations"], 0)

    def raw_call(self, process, path: str) -> tuple:
        """One request on its own connection (asking to close it); what came back up to the
        server's EOF, and when the EOF came."""
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", process.port), timeout=WAIT) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        return data, time.monotonic() - started

    def test_the_504_ends_its_connection_and_the_late_answer_is_never_sent(self):
        process = start(self, {"main.py": SLEEPY}, {"PYLAMBDA_TIMEOUT_SECONDS": "0.3"})
        process.wait_healthy()
        with socket.create_connection(("127.0.0.1", process.port), timeout=WAIT) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /slow?s=1 HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive asked
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
            ended = time.monotonic() - started
        self.assertTrue(data.startswith(b"HTTP/1.1 504 "), data)
        self.assertEqual(data.count(b"HTTP/1.1 "), 1, data)
        self.assertIn(b"\r\nConnection: close\r\n", data)
        self.assertTrue(0.25 <= ended < 0.8, f"connection ended after {ended:.2f}s, not at the 504")
        late = process.wait_for_log(lambda r: r["msg"] == "timed-out call finished")
        self.assertGreaterEqual(late["durationMs"], 900)
        metrics = process.metrics()
        self.assertEqual(metrics["pylambda_abandoned_invocations"], 0)
        self.assertEqual(metrics["pylambda_inflight_invocations"], 0)
        calls = [r for r in process.records() if "status" in r]  # one line per call
        self.assertEqual([(c["status"], c["path"], c["msg"]) for c in calls],
                         [(504, "/slow", "handler timed out")])

    def test_calls_on_several_connections_time_out_each_at_its_own_deadline(self):
        process = start(self, {"main.py": SLEEPY}, {"PYLAMBDA_TIMEOUT_SECONDS": "0.5"})
        process.wait_healthy()
        first = in_background(self, lambda: self.raw_call(process, "/slow?s=1.5"))
        time.sleep(0.25)
        second = in_background(self, lambda: self.raw_call(process, "/slow?s=1.5"))
        quick = self.raw_call(process, "/quick")
        self.assertTrue(quick[0].startswith(b"HTTP/1.1 200 "), quick)
        for data, elapsed in (first(), second()):
            self.assertTrue(data.startswith(b"HTTP/1.1 504 "), data)
            self.assertTrue(0.45 <= elapsed < 0.9, f"504 after {elapsed:.2f}s, not at its deadline")
        # the watchdog had nothing to wait for; a new call's deadline must wake it again
        data, elapsed = self.raw_call(process, "/slow?s=1")
        self.assertTrue(data.startswith(b"HTTP/1.1 504 "), data)
        self.assertTrue(0.45 <= elapsed < 0.9, f"504 after {elapsed:.2f}s, not at its deadline")
        self.assertEqual(process.metrics()["pylambda_invocation_timeouts_total"], 3)

    def test_a_call_ending_at_its_deadline_is_answered_exactly_once(self):
        process = start(self, {"main.py": SLEEPY}, {"PYLAMBDA_TIMEOUT_SECONDS": "0.2"})
        process.wait_healthy()
        calls = [in_background(self, lambda: self.raw_call(process, "/slow?s=0.2"))
                 for _ in range(8)]
        statuses = []
        for call in calls:
            data, _ = call()
            self.assertEqual(data.count(b"HTTP/1.1 "), 1, data)
            status = int(data.split(b" ", 2)[1])
            self.assertIn(status, (200, 504))
            statuses.append(status)
        deadline = time.monotonic() + WAIT
        while process.metrics()["pylambda_abandoned_invocations"] != 0:
            self.assertLess(time.monotonic(), deadline, "late calls never counted out")
            time.sleep(0.02)
        metrics = process.metrics()
        for status in (200, 504):
            self.assertEqual(metrics.get(f'pylambda_invocations_total{{code="{status}"}}', 0),
                             statuses.count(status))
        self.assertEqual(metrics["pylambda_inflight_invocations"], 0)
        finished = [r for r in process.records() if r["msg"] == "timed-out call finished"]
        self.assertEqual(len(finished), statuses.count(504))


class ShutdownTest(unittest.TestCase):
    def wait_inflight(self, process, count):
        deadline = time.monotonic() + WAIT
        while process.metrics()["pylambda_inflight_invocations"] != count:
            self.assertLess(time.monotonic(), deadline, "call never became in-flight")
            time.sleep(0.02)

    def test_sigterm_lets_an_in_flight_call_finish_then_exits_0(self):
        process = start(self, {"main.py": SLEEPY})
        process.wait_healthy()
        slow = in_background(self, lambda: process.request("GET", "/slow?s=1"))
        self.wait_inflight(process, 1)
        signalled = time.monotonic()
        process.signal()
        reply = slow()
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.json()["path"], "/slow")
        self.assertEqual(process.wait_exit(), 0)
        self.assertLess(time.monotonic() - signalled, 3)
        messages = [r["msg"] for r in process.records()]
        self.assertLess(messages.index("draining"), messages.index("call"))
        self.assertLess(messages.index("call"), messages.index("stopped"))
        with self.assertRaises(OSError):
            process.request("GET", "/healthz", timeout=1)

    def test_sigterm_waits_for_a_response_still_being_written_to_a_slow_reader(self):
        big = """
def handler(event, context):
    return "x" * (16 << 20)
"""
        env = {"PYLAMBDA_TIMEOUT_SECONDS": "0.3", "PYLAMBDA_WRITE_TIMEOUT_SECONDS": "8"}
        process = start(self, {"main.py": big}, env)
        process.wait_healthy()
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(WAIT)
            sock.connect(("127.0.0.1", process.port))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            deadline = time.monotonic() + WAIT
            while process.metrics().get('pylambda_invocations_total{code="200"}') != 1:
                self.assertLess(time.monotonic(), deadline, "the call was never answered")
                time.sleep(0.02)
            process.signal()  # the 16 MiB response is being written, the client not reading
            stopped = process.wait_for_log(lambda r: r["msg"] == "stopped accepting connections")
            self.assertEqual(stopped["unfinished"], 1)
            time.sleep(1.5)  # past the timeout and a second: the response is still wanted
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)  # now read quickly
            data = b""
            while chunk := sock.recv(1 << 20):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head[:200])
        self.assertEqual(len(body), 16 << 20)
        self.assertEqual(process.wait_exit(), 0)
        self.assertNotIn("calls still in flight at exit", [r["msg"] for r in process.records()])

    def test_a_second_signal_exits_at_once(self):
        process = start(self, {"main.py": SLEEPY})
        process.wait_healthy()
        slow = in_background(self, lambda: process.request("GET", "/slow?s=5"))
        self.wait_inflight(process, 1)
        process.signal(signal.SIGINT)  # Ctrl-C locally
        process.wait_for_log(lambda r: r["msg"] == "draining" and r["signal"] == "SIGINT")
        process.signal()
        self.assertEqual(process.wait_exit(2), 1)
        with self.assertRaises(OSError):
            slow()

    def test_sigterm_when_idle_exits_0_quickly(self):
        process = start(self, {"main.py": SLEEPY})
        process.wait_healthy()
        signalled = time.monotonic()
        process.signal()
        self.assertEqual(process.wait_exit(), 0)
        self.assertLess(time.monotonic() - signalled, 2)

    def test_drain_fails_the_probe_at_once_and_keeps_serving_for_the_drain_period(self):
        process = start(self, {"main.py": SLEEPY}, {"PYLAMBDA_DRAIN_SECONDS": "1.5"})
        process.wait_healthy()
        signalled = time.monotonic()
        process.signal()
        process.wait_for_log(lambda r: r["msg"] == "draining")
        health = process.request("GET", "/healthz")
        self.assertEqual((health.status, health.json()["status"]), (503, "draining"))
        call = process.request("GET", "/during-drain")
        self.assertEqual(call.status, 200)
        self.assertEqual(call.headers["Connection"], "close")
        self.assertLess(time.monotonic() - signalled, 1.3, "test too slow to observe the drain")
        self.assertEqual(process.wait_exit(), 0)
        self.assertGreaterEqual(time.monotonic() - signalled, 1.5)
        with self.assertRaises(OSError):
            process.request("GET", "/healthz", timeout=1)


class StopWhenStdinClosesTest(unittest.TestCase):
    """PYLAMBDA_STOP_WHEN_STDIN_CLOSES: the program that started the runtime holds its stdin;
    when that program ends (closing the pipe, as the kernel does when it is killed), the
    runtime stops as on SIGTERM."""

    def test_the_end_of_stdin_stops_the_runtime_after_its_in_flight_call(self):
        process = RuntimeProcess({"main.py": SLEEPY}, {"PYLAMBDA_STOP_WHEN_STDIN_CLOSES": "true"},
                                 stdin=subprocess.PIPE)
        self.addCleanup(process.stop)
        process.start()
        process.wait_healthy()
        time.sleep(0.3)  # stdin open and silent: nothing happens
        self.assertEqual(process.request("GET", "/healthz").status, 200)
        slow = in_background(self, lambda: process.request("GET", "/slow?s=1"))
        ShutdownTest.wait_inflight(self, process, 1)
        process.proc.stdin.close()
        self.assertEqual(slow().status, 200)
        self.assertEqual(process.wait_exit(), 0)
        draining = process.wait_for_log(lambda r: r["msg"] == "draining")
        self.assertEqual(draining["signal"], "stdin closed")

    def test_what_arrives_on_stdin_is_ignored(self):
        process = RuntimeProcess({"main.py": SLEEPY}, {"PYLAMBDA_STOP_WHEN_STDIN_CLOSES": "1"},
                                 stdin=subprocess.PIPE)
        self.addCleanup(process.stop)
        process.start()
        process.proc.stdin.write(b"stop\n" * 10_000)
        process.proc.stdin.flush()
        process.wait_healthy()
        self.assertEqual(process.request("GET", "/still-here").status, 200)
        process.proc.stdin.close()
        self.assertEqual(process.wait_exit(), 0)

    def test_off_by_default_an_empty_stdin_stops_nothing(self):
        process = start(self, {"main.py": SLEEPY})  # stdin is /dev/null, as in a pod
        process.wait_healthy()
        time.sleep(0.3)
        self.assertEqual(process.request("GET", "/healthz").status, 200)


class SettingsFileTest(unittest.TestCase):
    """An annotated Deployment mounts the ConfigMap pylambda attaches, holding settings.json,
    at /opt/pylambda/settings."""

    def write_settings(self, data) -> str:
        folder = tempfile.TemporaryDirectory(prefix="pylambda-settings-")
        self.addCleanup(folder.cleanup)
        path = Path(folder.name) / "settings.json"
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        return str(path)

    def test_handler_and_timeout_come_from_the_file(self):
        path = self.write_settings({"PYLAMBDA_HANDLER": "app.serve", "PYLAMBDA_TIMEOUT_SECONDS": "7"})
        code = {"app.py": "def serve(event, context):\n    return {'left': context.remaining_time_ms()}\n"}
        process = start(self, code, {"PYLAMBDA_SETTINGS_FILE": path})
        process.wait_healthy()
        reply = process.request("GET", "/")
        self.assertEqual(reply.status, 200)
        self.assertTrue(6000 < reply.json()["left"] <= 7000, reply.json())

    def test_container_variables_win_over_the_file_unless_empty(self):
        path = self.write_settings({"PYLAMBDA_PORT": "9000", "PYLAMBDA_HANDLER": "a.b"})
        merged = settings_environment(
            {"PYLAMBDA_SETTINGS_FILE": path, "PYLAMBDA_PORT": "9100", "PYLAMBDA_HANDLER": ""}
        )
        self.assertEqual((merged["PYLAMBDA_PORT"], merged["PYLAMBDA_HANDLER"]), ("9100", "a.b"))

    def test_bad_files_name_the_variable(self):
        for content in ["{not json", '["PYLAMBDA_PORT"]', '{"PATH": "/bin"}', '{"PYLAMBDA_PORT": 80}']:
            with self.subTest(content=content):
                path = self.write_settings(content)
                with self.assertRaises(SettingsError) as caught:
                    settings_environment({"PYLAMBDA_SETTINGS_FILE": path})
                self.assertEqual(caught.exception.variable, "PYLAMBDA_SETTINGS_FILE")
        with self.assertRaises(SettingsError):
            settings_environment({"PYLAMBDA_SETTINGS_FILE": "/nonexistent/settings.json"})

    def test_the_default_file_is_read_only_if_it_exists(self):
        self.assertEqual(settings_module.DEFAULT_SETTINGS_FILE, "/opt/pylambda/settings/settings.json")
        folder = tempfile.TemporaryDirectory(prefix="pylambda-mount-")
        self.addCleanup(folder.cleanup)
        default = Path(folder.name) / "settings.json"
        with mock.patch.object(settings_module, "DEFAULT_SETTINGS_FILE", str(default)):
            self.assertNotIn("PYLAMBDA_HANDLER", settings_environment({}))
            default.write_text('{"PYLAMBDA_HANDLER": "main.serve"}')
            self.assertEqual(settings_environment({})["PYLAMBDA_HANDLER"], "main.serve")
            explicit = self.write_settings({"PYLAMBDA_HANDLER": "other.serve"})
            merged = settings_environment({"PYLAMBDA_SETTINGS_FILE": explicit})
            self.assertEqual(merged["PYLAMBDA_HANDLER"], "other.serve")
            default.write_text("{not json")
            with self.assertRaises(SettingsError) as caught:
                settings_environment({})
            self.assertEqual(caught.exception.variable, "PYLAMBDA_SETTINGS_FILE")


if __name__ == "__main__":
    unittest.main()
