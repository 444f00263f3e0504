"""The runtime as a package: how a pod starts it (`python -u -P -m pylambda_runtime`), its
version, and user modules that share a name with one of the runtime's."""

import json
import os
import subprocess
import unittest
from pathlib import Path

from runtime.pylambda_runtime import __version__
from runtime.tests.harness import RUNTIME_COMMAND, RUNTIME_PARENT, WAIT, start

PACKAGE_JSON = RUNTIME_PARENT.parent / "package.json"


def run_runtime(*arguments: str) -> subprocess.CompletedProcess:
    """The runtime's command with `arguments`, as the runtime image's build runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYLAMBDA_")}
    env.update(PYTHONPATH=str(RUNTIME_PARENT), PYLAMBDA_PORT="not a port")  # never read
    return subprocess.run(RUNTIME_COMMAND + list(arguments), env=env, capture_output=True,
                          text=True, timeout=WAIT, stdin=subprocess.DEVNULL)


class VersionTest(unittest.TestCase):
    @unittest.skipUnless(PACKAGE_JSON.exists(), "needs the repository's package.json")
    def test_the_version_is_pylambdas(self):
        self.assertEqual(__version__, json.loads(PACKAGE_JSON.read_text())["version"])

    def test_dash_dash_version_prints_it_and_exits_0(self):
        done = run_runtime("--version")
        self.assertEqual((done.returncode, done.stdout, done.stderr),
                         (0, f"pylambda-runtime {__version__}\n", ""))

    def test_other_arguments_are_a_usage_error(self):
        for arguments in (["--help"], ["serve"], ["--version", "extra"]):
            with self.subTest(arguments=arguments):
                done = run_runtime(*arguments)
                self.assertEqual((done.returncode, done.stdout), (2, ""))
                self.assertIn("usage: python -m pylambda_runtime [--version]", done.stderr)

    def test_the_starting_line_carries_the_version(self):
        process = start(self, {"main.py": "def handler(event, context):\n    return 'ok'\n"})
        starting = process.wait_for_log(lambda r: r.get("msg") == "starting")
        self.assertEqual(starting["runtimeVersion"], __version__)


# Each a module of the runtime's, written in the user's code dir: a handler importing it gets
# its own, and the runtime, which imports its modules relatively, is unaffected.
SHADOWS = ["settings", "framing", "logs", "server", "state", "process", "connection", "bodies"]


class ShadowingTest(unittest.TestCase):
    def test_user_modules_named_like_the_runtimes_do_not_shadow_it(self):
        files = {f"{name}.py": f"WHOSE = 'user {name}'\n" for name in SHADOWS}
        # With the code dir as the working directory (as in a pod), only -P keeps this off
        # sys.path while the runtime itself is imported.
        files["pylambda_runtime.py"] = "raise SystemExit('the user code shadowed the runtime')\n"
        files["main.py"] = (
            "import importlib\n\n"
            f"NAMES = {SHADOWS!r}\n\n"
            "def handler(event, context):\n"
            "    return [importlib.import_module(name).WHOSE for name in NAMES]\n"
        )
        process = start(self, files, in_code_dir=True)
        process.wait_healthy()
        reply = process.request("POST", "/", b'{"a": 1}', {"Content-Type": "application/json"})
        self.assertEqual(reply.status, 200, process.output())
        self.assertEqual(reply.json(), [f"user {name}" for name in SHADOWS])
        process.wait_for_log(lambda r: r.get("msg") == "call" and r.get("status") == 200)


if __name__ == "__main__":
    unittest.main()
