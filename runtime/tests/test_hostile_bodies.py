"""Bodies a hostile client sends to a real runtime process: what each gets, and that the
runtime neither burns its CPU on them nor logs them as its own bugs."""

import time
import unittest

from runtime.tests.harness import start

HANDLER = {"main.py": """
    def handler(event, context):
        return {"type": type(event).__name__, "event": event}
"""}


class CharsetTest(unittest.TestCase):
    def setUp(self):
        self.runtime = start(self, HANDLER, {"PYLAMBDA_TIMEOUT_SECONDS": "3"})
        self.runtime.wait_healthy()

    def test_a_charset_outside_the_list_is_415_without_decoding_the_body(self):
        # 100 KB of punycode costs CPython's quadratic decoder about two seconds of CPU.
        body = b"-" + b"9" * 100_000
        for media in ("text/plain", "application/json"):
            started = time.monotonic()
            reply = self.runtime.request("POST", "/", body, {"Content-Type": f"{media}; charset=punycode"})
            self.assertEqual(reply.status, 415, reply.body)
            self.assertLess(time.monotonic() - started, 1.0)
            self.assertEqual(reply.json()["type"], "UnsupportedCharset")
            self.assertIn("'punycode' is not served", reply.json()["error"])
        for charset in ("cp1252", "utf-7", "idna", "rot13", "base64"):
            reply = self.runtime.request("POST", "/", b"x", {"Content-Type": f"text/plain; charset={charset}"})
            self.assertEqual(reply.status, 415, charset)

    def test_the_listed_charsets_and_their_aliases_decode(self):
        text = "café"
        for charset in ("utf-8", "UTF8", "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32be",
                        "latin-1", "ISO-8859-1", "latin1", '"iso8859-1"'):
            codec = charset.strip('"')
            body = text.encode(codec)
            reply = self.runtime.request("POST", "/", body, {"Content-Type": f"text/plain; charset={charset}"})
            self.assertEqual((reply.status, reply.json()["event"]), (200, text), charset)
            reply = self.runtime.request("POST", "/", '"é"'.encode(codec),
                                         {"Content-Type": f"application/json; charset={charset}"})
            self.assertEqual((reply.status, reply.json()["event"]), (200, "é"), charset)
        for charset in ("ascii", "US-ASCII"):
            reply = self.runtime.request("POST", "/", b"plain", {"Content-Type": f"text/plain; charset={charset}"})
            self.assertEqual((reply.status, reply.json()["event"]), (200, "plain"), charset)


class NestingTest(unittest.TestCase):
    def setUp(self):
        self.runtime = start(self, HANDLER)
        self.runtime.wait_healthy()

    def test_json_nested_past_the_parser_is_400_not_a_runtime_error(self):
        deep = b"[" * 100_000 + b"]" * 100_000
        for headers in ({"Content-Type": "application/json"}, {}):
            reply = self.runtime.request("POST", "/", deep, headers)
            self.assertEqual(reply.status, 400, reply.body)
            self.assertEqual(reply.json()["type"], "InvalidJSON")
            self.assertIn("nests too deeply", reply.json()["error"])
        errors = [r for r in self.runtime.records() if r.get("level") == "error"]
        self.assertEqual(errors, [], "a client's JSON is not a runtime bug")

    def test_json_nested_deeply_does_not_crash_a_handler_that_raised_the_recursion_limit(self):
        # On Python 3.11 the C parser recurses as deep as the recursion limit lets it: raised
        # by the handler's module (for a recursive algorithm of its own), 150,000 levels in a
        # 150 KB body overflowed the thread's C stack and killed the runtime (SIGSEGV).
        runtime = start(self, {"main.py": """
            import sys

            sys.setrecursionlimit(1_000_000)


            def handler(event, context):
                return {"depth": depth(event)}


            def depth(value):
                if isinstance(value, dict):
                    value = list(value.values())
                return 1 + max(map(depth, value), default=0) if isinstance(value, list) else 0
        """})
        runtime.wait_healthy()
        deep = b"[" * 150_000 + b"]" * 150_000
        for headers in ({"Content-Type": "application/json"}, {}):
            reply = runtime.request("POST", "/", deep, headers)
            self.assertEqual(reply.status, 400, reply.body)
            self.assertEqual(reply.json()["type"], "InvalidJSON")
            self.assertIn("nests too deeply", reply.json()["error"])
        self.assertIsNone(runtime.proc.poll(), "the runtime died")
        # Nesting within the limit is served, brackets and escaped quotes in strings aside.
        fine = b'[{"a": "[[[[", "b": ' * 400 + b"1" + b"}]" * 400
        reply = runtime.request("POST", "/", fine, {"Content-Type": "application/json"})
        self.assertEqual((reply.status, reply.json()), (200, {"depth": 800}))
        escaped = b"[" * 500 + b'"\\\\\\"[[[", ' * 200 + b"1" + b"]" * 500
        reply = runtime.request("POST", "/", escaped, {"Content-Type": "application/json"})
        self.assertEqual((reply.status, reply.json()), (200, {"depth": 500}))

if __name__ == "__main__":
    unittest.main()
