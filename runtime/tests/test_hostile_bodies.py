"""Bodies a hostile client sends to a real runtime process: what each gets, and that the
runtime neither burns its CPU on them nor logs them as its own bugs."""

import unittest

from runtime.tests.harness import start

HANDLER = {"main.py": """
    def handler(event, context):
        return {"type": type(event).__name__}
"""}


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
