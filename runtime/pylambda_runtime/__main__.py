"""What `python -u -P -m pylambda_runtime` runs, as every lambda pod does: the runtime,
configured by PYLAMBDA_* variables. `--version` prints the version and exits, which the
runtime image's build runs as a smoke test."""

import os
import sys

from . import __version__
from .logs import flush_logs
from .output import flush_handler_output
from .process import main

USAGE = "usage: python -m pylambda_runtime [--version]"


def run(arguments: list) -> int:
    """The runtime's exit code (see main), or 0 after --version, or 2 for other arguments."""
    if not arguments:
        return main()
    if arguments == ["--version"]:
        print(f"pylambda-runtime {__version__}")
        return 0
    print(f"{USAGE}\npylambda_runtime: unexpected arguments {' '.join(arguments)!r}: the "
          "runtime takes its settings from PYLAMBDA_* variables", file=sys.stderr)
    return 2


if __name__ == "__main__":
    exit_code = run(sys.argv[1:])
    flush_handler_output()
    flush_logs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)  # a handler's stray non-daemon thread must not keep a stopped pod alive
