"""The process-wide state that probes, calls and shutdown all read: the handler once
imported, its readiness, draining, metrics. The handler is imported on its own thread, so
that /healthz can say why it is not ready during a slow import or after a failed one."""

import importlib
import time
import traceback
from typing import Optional

from .budget import BodyBudget
from .logs import log
from .metrics import Metrics
from .settings import Settings


class Runtime:
    """Process-wide state: the handler, its readiness, draining, metrics, the budget of
    request bytes held."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.handler = None
        self.state = "importing"  # then "ready" or "import_failed"
        self.reason = f"importing handler {settings.handler}"
        self.draining = False
        self.stop_signal: Optional[str] = None
        self.metrics = Metrics()
        self.body_budget = BodyBudget(settings.max_inflight_body_bytes)

    def import_handler(self) -> None:
        """Runs on its own thread so /healthz answers 503 during a slow import. A failure is
        logged once and kept: the pod fails its readiness probe instead of serving 500s."""
        started = time.monotonic()
        module_name, _, attr = self.settings.handler.rpartition(".")
        try:
            handler = getattr(importlib.import_module(module_name), attr, None)
            if not callable(handler):
                raise AttributeError(f"module {module_name!r} has no function {attr!r}")
        except BaseException as exc:  # even SystemExit: the server must stay up to say why
            self.reason = f"importing {self.settings.handler} failed: {type(exc).__name__}: {exc}"
            self.state = "import_failed"
            log("error", "handler import failed", handler=self.settings.handler, error=str(exc),
                type=type(exc).__name__, traceback=traceback.format_exc())
            return
        self.handler, self.state, self.reason = handler, "ready", "ok"  # handler set first
        log("info", "handler imported", handler=self.settings.handler,
            importMs=round((time.monotonic() - started) * 1000, 1))
