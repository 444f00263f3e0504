"""What the handler prints: sys.stdout and sys.stderr while the runtime serves.

print() makes several write() calls (each argument, the separators, the newline), and calls
print on many threads at once, while the log writer writes the runtime's JSON lines to the
same stdout. Written as they come, a handler's text could land inside a JSON line. So each
stream is a LineWriter: a thread's text is held until it ends a line, and whole lines are
written under OUTPUT_LOCK, the lock the log writer holds for its own writes. Every line on
stdout is then either one of the runtime's JSON lines or a line the handler wrote."""

import io
import sys
import threading

from .logs import OUTPUT_LOCK, write_runtime_lines_to

# A thread's unfinished line is written (ended with a newline) once it holds this much text,
# so a handler writing without newlines cannot hold memory without bound.
MAX_PENDING_CHARS = 64 << 10


class LineWriter:
    """A text stream that writes only whole lines, each under OUTPUT_LOCK, one pending line
    per thread. Its `buffer` is one too, for bytes (BytesLineWriter): a library that writes
    to sys.stdout.buffer would otherwise land inside the runtime's next JSON line. Anything
    else (fileno, encoding...) is the wrapped stream's."""

    NEWLINE = "\n"

    def __init__(self, stream):
        self.stream = stream
        self._pending: dict = {}  # thread id -> its text since its last newline
        if isinstance(self.NEWLINE, str) and hasattr(stream, "buffer"):
            self.buffer = BytesLineWriter(stream.buffer)

    def _checked(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        return text

    def write(self, text) -> int:
        text = self._checked(text)
        me = threading.get_ident()
        joined = self._pending.pop(me, self.NEWLINE[:0]) + text
        lines, newline, rest = joined.rpartition(self.NEWLINE)
        if len(rest) >= MAX_PENDING_CHARS:
            lines, newline, rest = joined, self.NEWLINE, self.NEWLINE[:0]
        if newline:
            self._emit(lines + self.NEWLINE)
        if rest:
            self._pending[me] = rest
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """An unfinished line stays pending: written now, the next JSON line would follow it
        on the same line. print(flush=True) ends its line before flushing anyway."""
        with OUTPUT_LOCK:
            self.stream.flush()

    def flush_all(self) -> None:
        """At exit: every thread's unfinished line, ended with a newline (bytes first, as
        they were written to the stream's buffer, below its text)."""
        if isinstance(getattr(self, "buffer", None), BytesLineWriter):
            self.buffer.flush_all()
        for me in list(self._pending):
            rest = self._pending.pop(me, None)
            if rest:
                self._emit(rest + self.NEWLINE)

    # The stream is the runtime's too (its JSON lines go to it): closed or detached by the
    # handler (`io.TextIOWrapper(sys.stdout.detach(), encoding=...)` is a common idiom),
    # every later line of the runtime's would be dropped without a trace. Closing flushes;
    # detaching gives the handler the line-writing buffer below, the stream staying ours.
    def close(self) -> None:
        self.flush()

    def detach(self):
        if isinstance(getattr(self, "buffer", None), BytesLineWriter):
            return self.buffer
        raise io.UnsupportedOperation("the runtime's output stream cannot be detached")

    @property
    def closed(self) -> bool:
        return False

    def _emit(self, text: str) -> None:
        with OUTPUT_LOCK:
            self.stream.write(text)
            self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


class BytesLineWriter(LineWriter):
    """The same for a binary stream (a text stream's `buffer`): whole lines of bytes."""

    NEWLINE = b"\n"

    def _checked(self, data):
        try:
            return bytes(memoryview(data))
        except TypeError:
            raise TypeError(f"a bytes-like object is required, not {type(data).__name__}") from None


def capture_handler_output() -> None:
    """Wrap sys.stdout and sys.stderr; the runtime's own lines go to the real stdout."""
    write_runtime_lines_to(sys.stdout)
    sys.stdout, sys.stderr = LineWriter(sys.stdout), LineWriter(sys.stderr)
    _captured[:] = [sys.stdout, sys.stderr]


# The writers made above, flushed at exit even once the handler has replaced sys.stdout
# (by one over the detached buffer, whose unfinished line is ours to write).
_captured: list = []


def flush_handler_output() -> None:
    for stream in _captured:
        stream.flush_all()
