"""Calls through a real runtime process: events, context, return forms, errors, metrics, logs."""

import json
import re
import socket
import threading
import time
import unittest

from runtime.tests.harness import RuntimeProcess

HANDLER = '''
import time

CALLS = 0


class Unserializable:
    pass


async def later():
    return {"async": True}


RETURNS = {
    "dict": lambda: {"hello": "wörld"},
    "list": lambda: [1, "two", None],
    "number": lambda: 42,
    "str": lambda: "héllo",
    "bytes": lambda: b"\\x00\\xffraw",
    "none": lambda: None,
    "coroutine": later,
    "explicit": lambda: {
        "statusCode": 201,
        "headers": {"X-Custom": "yes", "Set-Cookie": ["a=1", "b=2"]},
        "body": {"created": True},
    },
    "explicit_text": lambda: {"statusCode": 404, "body": "not here"},
    "explicit_bytes": lambda: {
        "statusCode": 200, "headers": {"Content-Type": "image/png"}, "body": b"PNG",
    },
    "explicit_no_body": lambda: {"statusCode": 302, "headers": {"Location": "/elsewhere"}},
    "explicit_204": lambda: {"statusCode": 204},
    "data_with_status_code": lambda: {"statusCode": 200, "other": 1},
    "tuple2": lambda: ({"accepted": True}, 202),
    "tuple3": lambda: ("short and stout", 418, {"X-Tea": "earl grey"}),
    "set": lambda: {1, 2},
    "object": lambda: Unserializable(),
    "nan": lambda: {"x": float("nan")},
    "bad_status": lambda: ("x", 99),
    "bool_status": lambda: ("x", True),
    "bad_tuple": lambda: ("x",),
    "bad_headers": lambda: ("x", 200, ["X-A"]),
    "header_injection": lambda: {"statusCode": 200, "headers": {"X-A": "1\\r\\nX-Evil: 1"}},
    "header_not_latin1": lambda: {"statusCode": 200, "headers": {"X-A": "\\u2603"}},
    "header_nul": lambda: {"statusCode": 200, "headers": {"X-A": "a\\x00b"}},
    "header_escape": lambda: {"statusCode": 200, "headers": {"X-A": "a\\x1b[2Jb"}},
    "header_delete": lambda: {"statusCode": 200, "headers": {"X-A": "a\\x7fb"}},
    "header_tab": lambda: {"statusCode": 200, "headers": {"X-A": "a\\tb"}},
    "secret_status": lambda: ("x", {"password": "hunter2"}),
    "secret_header_name": lambda: ("x", 200, {("password", "hunter2"): "1"}),
    "header_interrupts": lambda: {"statusCode": 200, "headers": {"X-A": InterruptingStr()}},
    "header_str_subclasses": lambda: {"statusCode": 200,
                                      "headers": {Unformattable("X-A"): GivesUnformattable()}},
    "status_int_subclass": lambda: ("x", InjectingInt(201)),
    "body_str_subclass": lambda: NotEncodingStr("hello"),
    "body_bytes_subclass": lambda: GivesShortBytes(b"abc"),
}


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no text for this one")


class ExitingStr(Exception):
    def __str__(self):
        raise SystemExit("no text, and no exit either")


class InterruptingStr:
    def __str__(self):
        raise KeyboardInterrupt


class Unformattable(str):
    def __format__(self, spec):
        raise KeyboardInterrupt


class GivesUnformattable:
    def __str__(self):
        return Unformattable("1")


class InjectingInt(int):
    """Formats as a status line and a header of its own, and is equal to no status."""

    def __format__(self, spec):
        return "200 OK\\r\\nX-Injected: yes"

    def __hash__(self):
        return 1

    def __eq__(self, other):
        return False


class NotEncodingStr(str):
    def encode(self, *args, **kwargs):
        return "not bytes"


class ShortBytes(bytes):
    def __len__(self):
        return 0


class GivesShortBytes(bytes):
    def __bytes__(self):
        return ShortBytes(b"HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nbad")


def handler(event, context):
    global CALLS
    CALLS += 1
    parts = context.path.strip("/").split("/")
    if parts[0] == "calls":
        return {"calls": CALLS}
    if parts[0] == "return":
        return RETURNS[parts[1]]()
    if parts[0] == "raise":
        raise ValueError("bad input")
    if parts[0] == "unprintable":
        raise Unprintable()
    if parts[0] == "exiting_str":
        raise ExitingStr()
    if parts[0] == "sleep":
        time.sleep(float(context.query["s"]))
    return {
        "eventType": type(event).__name__,
        "event": event.hex() if isinstance(event, bytes) else event,
        "method": context.method,
        "path": context.path,
        "query": context.query,
        "query_list": context.query_list,
        "headers": context.headers,
        "body": context.body.hex(),
        "request_id": context.request_id,
        "function_name": context.function_name,
        "namespace": context.namespace,
        "deadline": context.deadline,
        "remaining_time_ms": context.remaining_time_ms(),
    }
'''

ENV = {
    "PYLAMBDA_FUNCTION_NAME": "echo-fn",
    "PYLAMBDA_NAMESPACE": "team-a",
    "PYLAMBDA_TIMEOUT_SECONDS": "5",
    "PYLAMBDA_MAX_BODY_BYTES": "1024",
}


class CallTest(unittest.TestCase):
    """One server for the whole class: these calls are quick and independent."""

    @classmethod
    def setUpClass(cls):
        cls.runtime = RuntimeProcess({"main.py": HANDLER}, ENV)
        cls.addClassCleanup(cls.runtime.stop)
        cls.runtime.start().wait_healthy()

    def call(self, method, path, body=None, headers=None):
        return self.runtime.request(method, path, body, headers)

    def echo(self, body=None, content_type=None, method="POST"):
        reply = self.call(method, "/echo", body, {"Content-Type": content_type} if content_type else {})
        self.assertEqual(reply.status, 200, reply.body)
        return reply.json()

    # ------------------------------------------------------------ events

    def test_json_body_is_parsed(self):
        echoed = self.echo(b'{"name": "x", "n": [1, 2]}', "application/json; charset=utf-8")
        self.assertEqual(echoed["eventType"], "dict")
        self.assertEqual(echoed["event"], {"name": "x", "n": [1, 2]})

    def test_json_suffix_media_type_is_parsed(self):
        echoed = self.echo(b'["a"]', "application/vnd.api+json")
        self.assertEqual((echoed["eventType"], echoed["event"]), ("list", ["a"]))

    def test_text_body_is_decoded_with_its_charset(self):
        echoed = self.echo("café".encode("latin-1"), "text/plain; charset=latin-1")
        self.assertEqual((echoed["eventType"], echoed["event"]), ("str", "café"))
        echoed = self.echo("naïve".encode(), "text/csv")
        self.assertEqual(echoed["event"], "naïve")

    def test_other_media_types_are_bytes(self):
        echoed = self.echo(b"\x00\x01\xff", "application/octet-stream")
        self.assertEqual((echoed["eventType"], echoed["event"]), ("bytes", "0001ff"))
        echoed = self.echo(b"a=1&b=2", "application/x-www-form-urlencoded")
        self.assertEqual((echoed["eventType"], echoed["event"]), ("bytes", b"a=1&b=2".hex()))

    def test_empty_body_is_none(self):
        self.assertEqual(self.echo(method="GET")["eventType"], "NoneType")
        self.assertEqual(self.echo(b"", "application/json")["eventType"], "NoneType")

    def test_without_content_type_json_then_text_then_bytes(self):
        self.assertEqual(self.echo(b'{"a": 1}')["event"], {"a": 1})
        self.assertEqual(self.echo(b"hello")["event"], "hello")
        self.assertEqual(self.echo(b"\xff\xfe\x00")["eventType"], "bytes")

    def test_invalid_json_is_400_and_the_handler_is_not_called(self):
        before = self.call("GET", "/calls").json()["calls"]
        reply = self.call("POST", "/echo", b"{nope", {"Content-Type": "application/json"})
        self.assertEqual(reply.status, 400)
        self.assertEqual(reply.headers["Content-Type"], "application/json")
        error = reply.json()
        self.assertEqual(error["type"], "InvalidJSON")
        self.assertIn("invalid JSON body", error["error"])
        self.assertEqual(error["requestId"], reply.headers["X-Request-Id"])
        after = self.call("GET", "/calls").json()["calls"]
        self.assertEqual(after, before + 1)  # only the second /calls

    def test_undecodable_text_is_400(self):
        reply = self.call("POST", "/echo", b"\xff\xfe", {"Content-Type": "text/plain"})
        self.assertEqual((reply.status, reply.json()["type"]), (400, "InvalidBody"))

    def test_body_over_the_limit_is_413(self):
        reply = self.call("POST", "/echo", b"x" * 2048, {"Content-Type": "text/plain"})
        self.assertEqual((reply.status, reply.json()["type"]), (413, "PayloadTooLarge"))

    def test_chunked_body_is_read(self):
        conn = self.runtime.connection()
        self.addCleanup(conn.close)
        chunks = iter([b'{"chunked"', b": true}"])
        conn.request("POST", "/echo", chunks, {"Content-Type": "application/json"},
                     encode_chunked=True)
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        self.assertEqual(json.loads(response.read())["event"], {"chunked": True})

    # ------------------------------------------------------------ context

    def test_context_fields(self):
        started = time.time()
        reply = self.call(
            "PATCH", "/echo/a%20b/c?a=1&a=2&b=&c=x%20y", b"{}",
            {"Content-Type": "application/json", "X-Request-Id": "req-123", "X-Thing": "T"},
        )
        self.assertEqual(reply.status, 200, reply.body)
        self.assertEqual(reply.headers["X-Request-Id"], "req-123")
        ctx = reply.json()
        self.assertEqual(ctx["method"], "PATCH")
        self.assertEqual(ctx["path"], "/echo/a%20b/c")
        self.assertEqual(ctx["query"], {"a": "2", "b": "", "c": "x y"})
        self.assertEqual(ctx["query_list"], {"a": ["1", "2"], "b": [""], "c": ["x y"]})
        self.assertEqual(ctx["headers"]["x-thing"], "T")
        self.assertEqual(ctx["headers"]["content-type"], "application/json")
        self.assertTrue(all(key == key.lower() for key in ctx["headers"]))
        self.assertEqual(ctx["body"], b"{}".hex())
        self.assertEqual(ctx["request_id"], "req-123")
        self.assertEqual((ctx["function_name"], ctx["namespace"]), ("echo-fn", "team-a"))
        self.assertTrue(4000 < ctx["remaining_time_ms"] <= 5000, ctx["remaining_time_ms"])
        self.assertAlmostEqual(ctx["deadline"], started + 5, delta=1)

    def test_request_id_is_generated_when_absent(self):
        reply = self.call("GET", "/echo")
        generated = reply.json()["request_id"]
        self.assertRegex(generated, r"^[0-9a-f]{32}$")
        self.assertEqual(reply.headers["X-Request-Id"], generated)
        self.assertNotEqual(self.call("GET", "/echo").json()["request_id"], generated)

    def test_every_method_and_path_reaches_the_handler(self):
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE"]:
            for path in ["/", "/deep/nested/path", "/metricsx", "/healthz/more"]:
                with self.subTest(method=method, path=path):
                    reply = self.call(method, path)
                    self.assertEqual(reply.status, 200, reply.body)
                    self.assertEqual((reply.json()["method"], reply.json()["path"]), (method, path))
        reply = self.call("POST", "/healthz")  # only GET/HEAD /healthz is the probe
        self.assertEqual(reply.json()["path"], "/healthz")

    def test_head_has_headers_but_no_body(self):
        reply = self.call("HEAD", "/return/dict")
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.body, b"")
        self.assertEqual(reply.headers["Content-Length"], str(len('{"hello": "wörld"}'.encode())))

    def test_keep_alive_serves_several_calls_on_one_connection(self):
        conn = self.runtime.connection()
        self.addCleanup(conn.close)
        for _ in range(3):
            conn.request("GET", "/return/str")
            response = conn.getresponse()
            self.assertEqual((response.status, response.read()), (200, "héllo".encode()))

    def test_calls_run_concurrently(self):
        replies = []
        threads = [
            threading.Thread(target=lambda: replies.append(self.call("GET", "/sleep?s=0.4")))
            for _ in range(8)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        self.assertEqual([r.status for r in replies], [200] * 8)
        self.assertLess(time.monotonic() - started, 1.5, "calls were serialized")

    def test_a_client_hanging_up_or_talking_garbage_does_not_hurt_the_server(self):
        with socket.create_connection(("127.0.0.1", self.runtime.port), timeout=5) as sock:
            sock.sendall(b"GET /sleep?s=0.2 HTTP/1.1\r\nHost: x\r\n\r\n")
        with socket.create_connection(("127.0.0.1", self.runtime.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/x.y\r\n\r\n")
            self.assertTrue(sock.recv(1024).startswith(b"HTTP/1.1 400 "))
        time.sleep(0.3)
        self.assertEqual(self.call("GET", "/return/str").status, 200)
        self.assertEqual(self.runtime.stderr, [])
        self.runtime.records()  # still JSON only

    def raw(self, request: bytes) -> bytes:
        """Send raw bytes on a connection of their own; everything the server sent back."""
        with socket.create_connection(("127.0.0.1", self.runtime.port), timeout=5) as sock:
            sock.sendall(request)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        return data

    def raw_json(self, request: bytes):
        head, _, body = self.raw(request).partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
        return json.loads(body)

    def test_headers_as_sent_repeated_folded_or_odd(self):
        ctx = self.raw_json(
            b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Twice: a\r\nx-twice:  b \r\n"
            b"X-Folded: one\r\n   two\r\nX-Empty:\r\nX-Tab: a\tb\r\n"
            b"X-Latin: caf\xe9\r\nX-Colon: a:b\r\nConnection: close\r\n\r\n"
        )
        headers = ctx["headers"]
        self.assertEqual(headers["x-twice"], "a, b")
        self.assertEqual(headers["x-folded"], "one two")
        self.assertEqual(headers["x-empty"], "")
        self.assertEqual(headers["x-latin"], "café")
        self.assertEqual(headers["x-colon"], "a:b")
        self.assertEqual(headers["x-tab"], "a\tb")
        self.assertEqual(ctx["path"], "/echo")

    def test_request_line_and_header_block_limits(self):
        hundred = b"".join(b"X-%d: 1\r\n" % i for i in range(98)) + b"Connection: close\r\n"
        self.assertEqual(self.raw_json(b"GET /echo HTTP/1.1\r\nHost: x\r\n" + hundred + b"\r\n")["headers"]["x-97"], "1")
        too_many = b"".join(b"X-%d: 1\r\n" % i for i in range(101))
        self.assertIn(b" 431 ", self.raw(b"GET / HTTP/1.1\r\nHost: x\r\n" + too_many + b"\r\n").split(b"\r\n")[0])
        long_line = b"X-Long: " + b"a" * 70000 + b"\r\n"
        self.assertIn(b" 431 ", self.raw(b"GET / HTTP/1.1\r\nHost: x\r\n" + long_line + b"\r\n").split(b"\r\n")[0])
        # JSON errors, with a status line even when the version is unusable
        for line, status, kind in ((b"GET / HTTP/2.0", b"505", "HTTPVersionNotSupported"),
                                   (b"GET / HTTP/1.1 extra", b"400", "InvalidRequest"),
                                   (b"GET /", b"400", "InvalidRequest"),
                                   (b"GET / HTTP/x.y", b"400", "InvalidRequest")):
            reply = self.raw(line + b"\r\n\r\n")
            self.assertTrue(reply.startswith(b"HTTP/1.1 " + status + b" "), reply[:40])
            self.assertEqual(json.loads(reply.partition(b"\r\n\r\n")[2])["type"], kind)
        self.assertEqual(self.raw_json(b"GET //a//b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")["path"],
                         "/a//b")
        self.assertEqual(self.call("GET", "/return/str").status, 200)

    def test_http_1_0_closes_and_expect_100_continue_is_honoured(self):
        reply = self.raw(b"POST /echo HTTP/1.0\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 2\r\n\r\n{}")  # no keep-alive: the server closes
        self.assertTrue(reply.startswith(b"HTTP/1.1 200 "), reply)
        with socket.create_connection(("127.0.0.1", self.runtime.port), timeout=5) as sock:
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 7\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
            self.assertTrue(sock.recv(1024).startswith(b"HTTP/1.1 100 Continue\r\n"))
            sock.sendall(b'{"a":1}')
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        self.assertEqual(json.loads(data.partition(b"\r\n\r\n")[2])["event"], {"a": 1})

    # ------------------------------------------------------------ return forms

    def test_return_forms(self):
        cases = {
            "dict": (200, "application/json", {"hello": "wörld"}),
            "list": (200, "application/json", [1, "two", None]),
            "number": (200, "application/json", 42),
            "str": (200, "text/plain; charset=utf-8", "héllo".encode()),
            "bytes": (200, "application/octet-stream", b"\x00\xffraw"),
            "none": (204, None, b""),
            "coroutine": (200, "application/json", {"async": True}),
            "explicit": (201, "application/json", {"created": True}),
            "explicit_text": (404, "text/plain; charset=utf-8", b"not here"),
            "explicit_bytes": (200, "image/png", b"PNG"),
            "explicit_no_body": (302, None, b""),
            "explicit_204": (204, None, b""),
            "data_with_status_code": (200, "application/json", {"statusCode": 200, "other": 1}),
            "tuple2": (202, "application/json", {"accepted": True}),
            "tuple3": (418, "text/plain; charset=utf-8", b"short and stout"),
        }
        for name, (status, content_type, body) in cases.items():
            with self.subTest(name):
                reply = self.call("GET", "/return/" + name)
                self.assertEqual(reply.status, status, reply.body)
                self.assertEqual(reply.headers["Content-Type"], content_type)
                got = reply.json() if content_type == "application/json" else reply.body
                self.assertEqual(got, body)
        reply = self.call("GET", "/return/explicit")
        self.assertEqual(reply.headers["X-Custom"], "yes")
        self.assertEqual(reply.headers.get_all("Set-Cookie"), ["a=1", "b=2"])
        self.assertEqual(self.call("GET", "/return/explicit_no_body").headers["Location"],
                         "/elsewhere")
        self.assertEqual(self.call("GET", "/return/tuple3").headers["X-Tea"], "earl grey")

    def test_unencodable_returns_are_500_json_errors(self):
        for name in ["set", "object", "nan", "bad_status", "bool_status", "bad_tuple",
                     "bad_headers", "header_injection", "header_not_latin1", "header_nul",
                     "header_escape", "header_delete"]:
            with self.subTest(name):
                reply = self.call("GET", "/return/" + name)
                self.assertEqual(reply.status, 500, reply.body)
                self.assertEqual(reply.json()["type"], "InvalidReturn")
                self.assertNotIn("X-Evil", reply.headers)
        self.assertEqual(self.call("GET", "/return/dict").status, 200)
        self.assertEqual(self.call("GET", "/return/header_tab").headers["X-A"], "a\tb")

    def test_an_invalid_return_names_the_type_of_what_was_wrong_not_its_value(self):
        for name in ["secret_status", "secret_header_name"]:
            with self.subTest(name):
                reply = self.call("GET", "/return/" + name, headers={"X-Request-Id": name})
                self.assertEqual(reply.status, 500, reply.body)
                self.assertEqual(reply.json()["type"], "InvalidReturn")
                self.assertNotIn(b"hunter2", reply.body)
                line = self.runtime.wait_for_log(lambda r: r.get("requestId") == name)
                self.assertNotIn("hunter2", json.dumps(line))
        message = self.call("GET", "/return/secret_status").json()["error"]
        self.assertIn("not dict", message)

    def test_an_exception_whose_str_fails_is_the_handlers_500_under_its_class_name(self):
        reply = self.call("GET", "/unprintable", headers={"X-Request-Id": "unprintable-1"})
        self.assertEqual(reply.status, 500)
        self.assertEqual(reply.json(), {"error": "Unprintable", "type": "Unprintable",
                                        "requestId": "unprintable-1"})
        line = self.runtime.wait_for_log(lambda r: r.get("requestId") == "unprintable-1")
        self.assertEqual((line["msg"], line["type"]), ("handler raised an exception", "Unprintable"))

    def test_a_base_exception_from_the_handlers_str_is_its_500_answered_counted_and_logged(self):
        before = self.runtime.metrics()
        reply = self.call("GET", "/exiting_str", headers={"X-Request-Id": "exiting-str-1"})
        self.assertEqual(reply.status, 500)
        self.assertEqual(reply.json(), {"error": "ExitingStr", "type": "ExitingStr",
                                        "requestId": "exiting-str-1"})
        reply = self.call("GET", "/return/header_interrupts",
                          headers={"X-Request-Id": "interrupting-str-1"})
        self.assertEqual(reply.status, 500, reply.body)
        self.assertEqual(reply.json()["type"], "InvalidReturn")
        self.assertIn("KeyboardInterrupt", reply.json()["error"])
        for request_id in ("exiting-str-1", "interrupting-str-1"):
            line = self.runtime.wait_for_log(lambda r: r.get("requestId") == request_id)
            self.assertEqual(line["status"], 500)
        after = self.runtime.metrics()
        for name in ('pylambda_invocations_total{code="500"}', "pylambda_invocation_errors_total"):
            self.assertEqual(after[name] - before.get(name, 0), 2, name)
        self.assertEqual(after["pylambda_inflight_invocations"], 0)
        self.assertEqual(self.call("GET", "/return/dict").status, 200)

    def test_header_names_and_values_that_are_str_subclasses_are_sent_as_plain_str(self):
        # Their own methods, run as the head is written, would be the handler's code outside
        # its deadline and past every backstop.
        reply = self.call("GET", "/return/header_str_subclasses")
        self.assertEqual(reply.status, 200, reply.body)
        self.assertEqual(reply.headers["X-A"], "1")

    def test_a_status_and_a_body_of_subclasses_are_sent_as_plain_int_str_and_bytes(self):
        # Their own methods would run outside the call's deadline, as its head is written:
        # a status that formats as a status line and a header, a str whose encode() returns
        # no bytes (the call was never answered), bytes whose len() gives a Content-Length
        # short of what is sent (a second, forged response on the connection).
        reply = self.call("GET", "/return/status_int_subclass")
        self.assertEqual((reply.status, reply.body), (201, b"x"))
        self.assertNotIn("X-Injected", reply.headers)
        reply = self.call("GET", "/return/body_str_subclass")
        self.assertEqual((reply.status, reply.body), (200, b"hello"))
        reply = self.raw(b"GET /return/body_bytes_subclass HTTP/1.1\r\nHost: x\r\n"
                         b"Connection: close\r\n\r\n")  # read to the end: nothing after it
        head, _, body = reply.partition(b"\r\n\r\n")
        self.assertIn(b"\r\nContent-Length: %d\r\n" % len(body), head)
        self.assertEqual(body, b"abc")

    # ------------------------------------------------------------ errors, metrics, logs

    def test_exception_is_500_without_traceback_and_the_server_lives_on(self):
        reply = self.call("POST", "/raise", b"{}", {"X-Request-Id": "boom-1"})
        self.assertEqual(reply.status, 500)
        self.assertEqual(
            reply.json(), {"error": "bad input", "type": "ValueError", "requestId": "boom-1"}
        )
        self.assertNotIn(b"Traceback", reply.body)
        self.assertEqual(self.call("GET", "/return/dict").status, 200)
        line = self.runtime.wait_for_log(lambda r: r.get("requestId") == "boom-1")
        self.assertEqual((line["level"], line["status"], line["type"]), ("error", 500, "ValueError"))
        self.assertIn('raise ValueError("bad input")', line["traceback"])
        self.assertIn("main.py", line["traceback"])

    def test_metrics_count_calls_errors_and_durations(self):
        before = self.runtime.metrics()
        self.call("GET", "/return/dict")
        self.call("GET", "/return/dict")
        self.call("GET", "/raise")
        self.call("GET", "/return/set")
        self.call("POST", "/echo", b"{", {"Content-Type": "application/json"})
        after = self.runtime.metrics()

        def delta(name):
            return after.get(name, 0) - before.get(name, 0)

        self.assertEqual(delta('pylambda_invocations_total{code="200"}'), 2)
        self.assertEqual(delta('pylambda_invocations_total{code="500"}'), 2)
        self.assertEqual(delta('pylambda_invocations_total{code="400"}'), 1)
        self.assertEqual(delta("pylambda_invocation_errors_total"), 2)
        self.assertEqual(delta("pylambda_invocation_duration_seconds_count"), 5)
        self.assertEqual(delta('pylambda_invocation_duration_seconds_bucket{le="+Inf"}'), 5)
        self.assertGreater(delta("pylambda_invocation_duration_seconds_sum"), 0)
        self.assertEqual(after["pylambda_inflight_invocations"], 0)
        self.assertEqual(after["pylambda_handler_ready"], 1)

    def test_metrics_exposition_format(self):
        reply = self.call("GET", "/metrics")
        self.assertEqual(reply.status, 200)
        self.assertTrue(reply.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        text = reply.body.decode()
        for name, kind in [
            ("pylambda_invocations_total", "counter"),
            ("pylambda_invocation_errors_total", "counter"),
            ("pylambda_invocation_duration_seconds", "histogram"),
            ("pylambda_inflight_invocations", "gauge"),
        ]:
            self.assertIn(f"# HELP {name} ", text)
            self.assertIn(f"# TYPE {name} {kind}\n", text)
        buckets = re.findall(r'_bucket\{le="([^"]+)"\} (\d+)', text)
        counts = [int(n) for _, n in buckets]
        self.assertEqual(counts, sorted(counts), "buckets are cumulative")
        self.assertEqual(buckets[-1][0], "+Inf")

    def test_healthz_is_ok_and_probes_are_not_logged(self):
        reply = self.call("GET", "/healthz")
        self.assertEqual((reply.status, reply.json()), (200, {"status": "ok"}))
        self.assertEqual(self.call("HEAD", "/healthz").status, 200)
        self.call("GET", "/metrics")
        self.call("GET", "/echo", headers={"X-Request-Id": "after-probes"})
        self.runtime.wait_for_log(lambda r: r.get("requestId") == "after-probes")
        probes = [(r.get("method"), r.get("path")) for r in self.runtime.records()]
        self.assertNotIn(("GET", "/healthz"), probes)
        self.assertNotIn(("HEAD", "/healthz"), probes)
        self.assertNotIn(("GET", "/metrics"), probes)

    def test_every_log_line_is_json_with_one_line_per_call(self):
        self.call("DELETE", "/return/list?secret=1", headers={"X-Request-Id": "log-1"})
        self.runtime.wait_for_log(lambda r: r.get("requestId") == "log-1")
        records = self.runtime.records()  # raises if any stdout line is not JSON
        for record in records:
            self.assertTrue({"ts", "level", "msg", "function"} <= set(record), record)
            self.assertRegex(record["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        lines = [r for r in records if r.get("requestId") == "log-1"]
        self.assertEqual(len(lines), 1)
        self.assertEqual(
            {k: lines[0][k] for k in ["level", "msg", "method", "path", "status", "function"]},
            {"level": "info", "msg": "call", "method": "DELETE", "path": "/return/list",
             "status": 200, "function": "echo-fn"},
        )
        self.assertEqual(lines[0]["namespace"], "team-a")
        self.assertIsInstance(lines[0]["durationMs"], float)
        self.assertIn("starting", [r["msg"] for r in records])
        self.assertEqual(self.runtime.stderr, [])


if __name__ == "__main__":
    unittest.main()
