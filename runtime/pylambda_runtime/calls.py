"""One call of the user's handler: what it is given besides the event (Context), the call
in flight that the watchdog may answer (Call), and the response for what it returned or
raised."""

import inspect
import time
import traceback
from dataclasses import dataclass, field

from .bodies import Response, encode_result, error_response
from .forks import exit_if_forked_child


@dataclass
class Context:
    """What a handler knows about its call besides the event (see runtime/README.md)."""

    method: str
    path: str  # as sent, still percent-encoded, without the query
    query: dict  # name -> last value
    query_list: dict  # name -> every value
    headers: dict  # lower-case names; repeated headers joined with ", "
    body: bytes  # the raw body, e.g. to check a signature
    request_id: str
    function_name: str
    namespace: str
    deadline: float  # Unix time by which the call must return
    _deadline_monotonic: float = field(repr=False)

    def remaining_time_ms(self) -> int:
        """Milliseconds left before the runtime answers 504 (monotonic: immune to clock steps)."""
        return max(0, int((self._deadline_monotonic - time.monotonic()) * 1000))


class Call:
    """One handler call in flight: answered either by its connection's thread (the handler
    returned in time) or by the watchdog (the deadline passed first), never both."""

    __slots__ = ("conn", "request_id", "started", "deadline", "method", "path")

    def __init__(self, conn, request_id: str, started: float, deadline: float, method, path):
        self.conn, self.request_id, self.started, self.deadline = conn, request_id, started, deadline
        self.method, self.path = method, path


def call_inline(handler, event, context):
    """(what the handler returned, None) or (None, what it raised), on the caller's thread.
    Even a BaseException: SystemExit in a handler is its error, not the runtime's. A child
    the handler forked ends here instead (forks.py)."""
    try:
        result = handler(event, context)
        if inspect.iscoroutine(result):  # `async def handler` works too
            import asyncio

            result = asyncio.run(result)
    except BaseException as exc:
        exit_if_forked_child(exc)
        return None, exc
    exit_if_forked_child(None)
    return result, None


def error_text(error: BaseException) -> str:
    """str(error), or "" when the exception's own __str__ fails: the handler's error is
    still answered as its 500, not as a runtime error. Even with a BaseException: the
    handler's code raised it on this thread (a signal only ever reaches the main thread)."""
    try:
        return str(error)
    except BaseException:
        return ""


def response_for(result, error, request_id: str) -> Response:
    """The response for a call answered in time: its error as a 500, else its return value
    encoded (a 500 InvalidReturn if that is impossible); the README lists the forms."""
    if error is not None:
        kind = type(error).__name__
        message = error_text(error) or kind
        # the traceback starts at the user's frame, not call_inline's
        tb = "".join(traceback.format_exception(type(error), error, error.__traceback__.tb_next))
        return error_response(500, kind, message, request_id,
                              {"msg": "handler raised an exception", "error": message,
                               "type": kind, "traceback": tb})
    try:  # what is encoded runs the handler's code (a header's __str__): it may raise anything
        return encode_result(result)
    except BaseException as exc:
        message = f"cannot encode the handler's return value: {error_text(exc) or type(exc).__name__}"
        return error_response(500, "InvalidReturn", message, request_id,
                              {"msg": "handler returned an invalid value", "error": message})
