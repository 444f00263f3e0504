"""A process-wide bound on the request memory that calls hold at once: their bodies, from
the Content-Length (or chunk by chunk) before any byte is read, and the text decoded from
them, until each call's response is written. Each connection may read a body up to
PYLAMBDA_MAX_BODY_BYTES, and up to PYLAMBDA_MAX_CONNECTIONS of them at once: without this
bound, many stalled large bodies could take the process past its memory limit."""

import threading


class OverBudget(Exception):
    """A call that would take the held request bytes past the budget; answered 503."""


class BodyBudget:
    """Bytes held, under one lock. A claim is granted if it fits the budget, or if nothing
    but the claimant's own bytes is held, so that a single call of any size the other
    limits allow is always served once the others are done (a retry succeeds)."""

    def __init__(self, limit: int):
        self.limit, self.held = limit, 0
        self._lock = threading.Lock()

    def claim(self, size: int, holding: int) -> bool:
        with self._lock:
            if self.held + size > self.limit and self.held > holding:
                return False
            self.held += size
            return True

    def release(self, size: int) -> None:
        with self._lock:
            self.held -= size


class CallBytes:
    """What one call holds of the budget, released whole when the call is done."""

    __slots__ = ("budget", "held")

    def __init__(self, budget: BodyBudget):
        self.budget, self.held = budget, 0

    def claim(self, size: int) -> None:
        """Raises OverBudget, holding nothing more, if the budget cannot take `size`."""
        if size and not self.budget.claim(size, self.held):
            raise OverBudget()
        self.held += size

    def release(self) -> None:
        if self.held:
            self.budget.release(self.held)
            self.held = 0
