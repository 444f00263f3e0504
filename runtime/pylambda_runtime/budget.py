"""A process-wide bound on the request memory that calls hold at once: their bodies' bytes as
they arrive, and the text decoded from them, until each call's response is written. Each
connection may read a body up to PYLAMBDA_MAX_BODY_BYTES, and up to PYLAMBDA_MAX_CONNECTIONS
of them at once: without this bound, many stalled large bodies could take the process past
its memory limit.

A body is claimed as its bytes are received, not from its Content-Length: bytes that have
not arrived take no memory (the buffer a body is read into is mapped as it is written), so
they must not hold the budget either. Claimed from the announced length, a dozen clients
that sent only headers announcing 3 MB, then nothing until the body deadline, kept every
other call with a body at 503. Now a stalled body holds what it sent, and to hold the
budget a client must send (and keep sending within the deadline) that many bytes. Each
receive is claimed once it has arrived, at most deadlines.BODY_RECEIVE_BYTES (64 KiB): the
bytes held may go past the budget by that much per connection reading a body, for the
moment before that body is refused. When bodies being read together fill the budget, the
one whose bytes arrive next is refused, and what it held is free for the others.

Large bodies that did arrive may still fill the budget (that memory is real). So that they
cannot lock out the ordinary small calls, the last 1/RESERVE_FRACTION of the budget is kept
for calls whose body is at most SMALL_BODY_BYTES: a larger call's claims must fit the budget
less that reserve; a small call's, its body and its decoded text, the whole budget."""

import threading

SMALL_BODY_BYTES = 64 << 10
# 1/8: 4 MiB of the default 32 MiB, room for 64 small bodies held at once (or about 20 of
# them with their decoded JSON text), while large ones keep 28 MiB, four 6 MiB bodies whole.
RESERVE_FRACTION = 8


class OverBudget(Exception):
    """A call that would take the held request bytes past the budget; answered 503."""


class BodyBudget:
    """Bytes held, under one lock. A claim is granted if it fits the budget (for a call that
    is not small, the budget less its reserve), or if nothing but the claimant's own bytes is
    held, so that a single call of any size the other limits allow is always served once the
    others are done (a retry succeeds)."""

    def __init__(self, limit: int):
        self.limit, self.held = limit, 0
        self.reserve = limit // RESERVE_FRACTION
        self._lock = threading.Lock()

    def claim(self, size: int, holding: int, small: bool = False) -> bool:
        room = self.limit if small else self.limit - self.reserve
        with self._lock:
            if self.held + size > room and self.held > holding:
                return False
            self.held += size
            return True

    def release(self, size: int) -> None:
        with self._lock:
            self.held -= size


class CallBytes:
    """What one call holds of the budget, released whole when the call is done. The call is
    small (it may use the reserve) while its body's Content-Length, or for a chunked body the
    bytes received so far, are at most SMALL_BODY_BYTES."""

    __slots__ = ("budget", "held", "body_size")

    def __init__(self, budget: BodyBudget, announced: int = 0):
        self.budget, self.held, self.body_size = budget, 0, announced

    def claim(self, size: int) -> None:
        """Raises OverBudget, holding nothing more, if the budget cannot take `size`."""
        if size and not self.budget.claim(size, self.held, self.body_size <= SMALL_BODY_BYTES):
            raise OverBudget()
        self.held += size

    def received(self, size: int) -> None:
        """`size` more bytes of the body arrived (deadlines.RequestReader): claimed now.
        Raises OverBudget if they do not fit; they are dropped with the call then."""
        self.body_size = max(self.body_size, self.held + size)
        self.claim(size)

    def settle(self, body_size: int) -> None:
        """The body is read whole: hold exactly its size. What arrived with the headers was
        not claimed as it came, and a receive may have taken bytes past the body (the next
        request's, kept by the connection's buffer). May raise OverBudget."""
        self.body_size = body_size
        if body_size > self.held:
            self.claim(body_size - self.held)
        elif body_size < self.held:
            self.budget.release(self.held - body_size)
            self.held = body_size

    def release(self) -> None:
        if self.held:
            self.budget.release(self.held)
            self.held = 0
