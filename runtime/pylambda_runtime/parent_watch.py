"""Stop when stdin closes (PYLAMBDA_STOP_WHEN_STDIN_CLOSES): for a runtime started by a
program on a laptop (`pylambda invoke`), not by a kubelet.

Such a program holds the write end of the runtime's stdin and never writes to it. When it
ends in any way, SIGKILL included, the kernel closes that end and the read here returns
end-of-file: the runtime then stops as on SIGTERM, instead of serving on, unowned, and
holding its port. In a pod stdin is /dev/null (end-of-file at once), so the setting is off
unless asked for."""

import os
import threading

from .state import Runtime

STDIN = 0


def _read_until_closed() -> None:
    """Returns once stdin is at end-of-file or unreadable; whatever arrives is dropped."""
    while True:
        try:
            if not os.read(STDIN, 4096):
                return
        except InterruptedError:
            continue
        except OSError:
            return


def stop_when_stdin_closes(runtime: Runtime) -> None:
    """Starts the watch: stdin's end starts a graceful stop, unless a signal started one."""

    def watch() -> None:
        _read_until_closed()
        if runtime.stop_signal is None:
            runtime.draining = True
            runtime.stop_signal = "stdin closed"

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()
