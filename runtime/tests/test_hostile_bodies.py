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


if __name__ == "__main__":
    unittest.main()
