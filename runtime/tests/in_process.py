"""A real Server on 127.0.0.1 inside the test process, for tests that set its handler directly
or reach into it (the subprocess harness runs the runtime as a pod does)."""

import io
import os
import sys
import threading
from unittest import mock

from runtime.pylambda_runtime.server import Server
from runtime.pylambda_runtime.settings import load_settings
from runtime.pylambda_runtime.state import Runtime


def serve_in_process(test, handler, idle_seconds: float, env=None) -> Server:
    """Start a ready Server with `handler` and the given idle timeout; stdout is captured and
    everything is stopped by the test's cleanups."""
    patcher = mock.patch.object(sys, "stdout", io.StringIO())
    patcher.start()
    test.addCleanup(patcher.stop)
    runtime = Runtime(load_settings({"PYLAMBDA_CODE_DIR": os.getcwd(),
                                     "PYLAMBDA_IDLE_TIMEOUT_SECONDS": str(idle_seconds),
                                     **(env or {})}))
    runtime.handler, runtime.state = handler, "ready"
    server = Server(("127.0.0.1", 0), runtime)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    test.addCleanup(server.server_close)
    test.addCleanup(server.shutdown)
    return server
