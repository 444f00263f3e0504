"""The runtime's process: settings, sys.path for the user's code, listening, signals and
a graceful stop."""

import json
import os
import signal
import site
import sys
import threading
import time

from . import __version__
from .forks import drop_in_children
from .logs import flush_logs, log, set_log_fields
from .memory import return_large_frees
from .output import capture_handler_output
from .parent_watch import stop_when_stdin_closes
from .server import Server
from .settings import Settings, SettingsError, load_settings, settings_environment
from .state import Runtime


def prepare_sys_path(settings: Settings) -> None:
    """The code dir first so the user's modules win, then the `pip install --target` deps
    dir (with its .pth files, as for site-packages), then the stdlib and site-packages. The
    runtime's own modules are all imported by now, under the package's name, so a user's
    settings.py or logs.py is the user's `import settings` and never the runtime's."""
    paths = [settings.code_dir]
    if settings.deps_dir and os.path.isdir(settings.deps_dir):
        paths.append(settings.deps_dir)
    for path in reversed(paths):
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)
    if len(paths) > 1:
        site.addsitedir(paths[1])  # already on sys.path, so this only reads its .pth files


def install_signal_handlers(runtime: Runtime) -> None:
    """SIGTERM (Kubernetes) and SIGINT (Ctrl-C) start a graceful stop; a second one exits at
    once. The handler only sets flags: taking a lock here could deadlock its own thread."""

    def on_signal(signum, frame):
        if runtime.stop_signal:
            line = json.dumps({"level": "warning", "msg": "second signal: exiting now"})
            flush_logs(1.0)  # what is queued, unless stdout is stuck
            os.write(1, (line + "\n").encode())
            os._exit(1)
        runtime.draining = True  # /healthz turns 503 at once
        runtime.stop_signal = signal.Signals(signum).name

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def exit_wait_seconds(settings: Settings) -> float:
    """How long shutdown waits for unfinished calls once it stops accepting: a call that came
    in just before may take the timeout to read its body and run, then the write timeout to
    send its response to a slow reader (a timed-out call's 504 needs no wait)."""
    return settings.timeout_seconds + settings.write_timeout_seconds + 1


def shut_down(server: Server, runtime: Runtime) -> int:
    """Keep serving for the drain period, so Kubernetes removes the pod from its Service's
    endpoints first; then stop accepting and let unfinished calls end (each by its deadline,
    and its response by the write timeout)."""
    settings, metrics = runtime.settings, runtime.metrics
    log("info", "draining", signal=runtime.stop_signal, drainSeconds=settings.drain_seconds,
        inflight=metrics.inflight)
    time.sleep(settings.drain_seconds)
    server.shutdown()
    server.server_close()
    log("info", "stopped accepting connections", inflight=metrics.inflight,
        unfinished=metrics.unfinished)
    if not metrics.wait_idle(exit_wait_seconds(settings)):
        log("warning", "calls still in flight at exit", unfinished=metrics.unfinished)
    log("info", "stopped")
    return 0


def main() -> int:
    """Exit codes: 0 after a graceful stop, 1 if the port cannot be bound, 2 for bad settings."""
    try:
        settings = load_settings(settings_environment(os.environ))
    except SettingsError as exc:
        log("error", str(exc), variable=exc.variable)
        return 2
    if settings.namespace:
        set_log_fields(function=settings.function_name, namespace=settings.namespace)
    else:
        set_log_fields(function=settings.function_name)
    capture_handler_output()  # before the handler's module is imported: it may print too
    runtime = Runtime(settings)
    log("info", "starting", handler=settings.handler, codeDir=settings.code_dir,
        depsDir=settings.deps_dir, timeoutSeconds=settings.timeout_seconds,
        drainSeconds=settings.drain_seconds, python=sys.version.split()[0], pid=os.getpid(),
        runtimeVersion=__version__)
    prepare_sys_path(settings)
    try:
        server = Server((settings.host, settings.port), runtime)
    except OSError as exc:
        log("error", f"cannot listen on {settings.host}:{settings.port}: {exc}",
            variable="PYLAMBDA_HOST/PYLAMBDA_PORT")
        return 1
    drop_in_children(server.socket)  # a handler's os.fork(): forks.py
    install_signal_handlers(runtime)
    if settings.stop_when_stdin_closes:
        stop_when_stdin_closes(runtime)
    threading.Thread(target=server.serve_forever, args=(0.2,), name="serve", daemon=True).start()
    log("info", "listening", host=settings.host, port=server.server_address[1])
    threading.Thread(target=runtime.import_handler, name="import", daemon=True).start()
    return_large_frees()  # here, not before listening: ctypes takes a few ms to import
    while runtime.stop_signal is None:
        time.sleep(0.1)  # a plain sleep: signal handlers run between two sleeps
    return shut_down(server, runtime)

