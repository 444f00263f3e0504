"""HTTP/1.1 framing, in the spirit of h11: where a request's headers and body end, read
strictly so that the runtime and any proxy in front of it agree on where each request ends
(a disagreement could smuggle a second request inside a body). It knows nothing of the
handler; the limits are the ones runtime/README.md states."""

import re
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Optional

MAX_HEADERS = 100  # header lines per request (README.md)
MAX_HEADER_BYTES = 65536  # the whole header section, as h11, Node and gunicorn bound it
MAX_CHUNK_LINE = 1024  # a chunk-size line, with any extensions, and each trailer line
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a token (RFC 9110 5.1)
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # never in a field line, but HTAB (RFC 9110 5.5)
HTTP_VERSION = re.compile(r"HTTP/[0-9]{1,3}\.[0-9]{1,3}")
# RFC 9112 3: method SP request-target SP HTTP-version, exactly one space between; the method
# a token, the target and version without a control or a space. str.split() would also take
# \x1c-\x1f, \x85 or \xa0 for a space, and pass a method such as "G\x01T" on to the handler.
REQUEST_LINE = re.compile(r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\x00-\x20\x7f]+) ([^\x00-\x20\x7f]+)")
MAX_METHOD = 32  # the longest registered method (UPDATEREDIRECTREF) has 17 characters
# RFC 9112 2.2: a server SHOULD ignore at least one empty line (CRLF) received before the
# request line (some clients send one after a POST body). A few are ignored; past that the
# connection is closed, as for any data that is not a request.
MAX_LEADING_EMPTY_LINES = 4
# RFC 9112 7.1: chunk-size [ chunk-ext ] CRLF, where chunk-ext is any number of
# BWS ";" BWS name [ BWS "=" BWS value ], a name a token, a value a token or a quoted-string
# (no control but HTAB, so no bare CR or NUL that a proxy might read differently).
_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = rb'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})((?:[ \t]*;[ \t]*" + _TOKEN + rb"(?:[ \t]*=[ \t]*(?:" +
                        _TOKEN + rb"|" + _QUOTED + rb"))?)*)\r\n")


class HttpError(Exception):
    """A request refused before the handler is called (bad body); answered as a JSON error."""

    def __init__(self, status: int, kind: str, message: str):
        super().__init__(message)
        self.status, self.kind = status, kind


class Headers:
    """A request's headers, read without the email parser http.server uses (that parser was
    most of the cost of a small call). get() is case-insensitive and gives the first value,
    as email.message.Message does. Only the runtime and parse_request read it."""

    __slots__ = ("_values",)

    def __init__(self, values: dict):
        self._values = values  # lower-case name -> values in order

    def get(self, name: str, default=None):
        values = self._values.get(name.lower())
        return values[0] if values else default

    def joined(self) -> dict:
        """Lower-case name -> its values joined with ", " (the handler's context.headers)."""
        return {name: ", ".join(values) for name, values in self._values.items()}


def read_headers(rfile) -> Optional[Headers]:
    """The header block, up to its empty line; None if the stream ends before it. Over our limits
    (MAX_HEADERS lines, MAX_HEADER_BYTES in all) raises ValueError, answered 431. Values lose
    surrounding blanks; an obsolete folded line joins the previous value with a space, except
    before any header or continuing Content-Length, Transfer-Encoding or Host (400). As h11
    does, anything else that is not a field line (RFC 9112 5) is answered 400: a line with no
    colon, a name that is not a token (`Name : value`), a control character such as a bare
    CR or a NUL."""
    values: dict = {}
    last = last_name = None  # the header read last (its value list), which a fold extends
    lines, room = 0, MAX_HEADER_BYTES
    while True:
        line = rfile.readline(room + 1)
        room -= len(line)
        if room < 0:
            raise ValueError(f"the header section is over the {MAX_HEADER_BYTES // 1024} KiB "
                             "limit (431)")
        if line in (b"\r\n", b"\n"):
            return Headers(values)
        # The stream ended before the empty line (the client went away, or reset), or mid-line:
        # the request is incomplete, and an abandoned request must never reach the handler.
        if line[-1:] != b"\n":
            return None
        lines += 1
        if lines > MAX_HEADERS:
            raise ValueError(f"over the limit of {MAX_HEADERS} header lines (431)")
        text = line.decode("iso-8859-1")[:-2 if line[-2:] == b"\r\n" else -1]
        if text[:1] in (" ", "\t") and not CONTROL.search(text):
            # A fold is read as h11 reads it, but not where a proxy that does not unfold it
            # would read the request otherwise: before any header (where it would be dropped
            # here, but may be a header to a proxy that strips the blank), or continuing the
            # headers that frame or route the request, which such a proxy would see empty
            # (`Transfer-Encoding:` then ` chunked`: Node's CVE-2022-32215).
            if last is None or last_name in UNFOLDABLE:
                raise HttpError(400, "InvalidRequest", "an obsolete folded line continues no "
                                "header, or Content-Length, Transfer-Encoding or Host")
            last[-1] = f"{last[-1]} {text.strip()}".strip()
            continue
        last_name, value = field_line(text)
        last = values.setdefault(last_name, [])
        last.append(value)


# Headers whose folded continuation is refused (read_headers): they frame or route the request.
UNFOLDABLE = frozenset(("content-length", "transfer-encoding", "host"))


def field_line(text: str) -> tuple:
    """(lower-case name, value without surrounding blanks) of a header or trailer line (RFC
    9112 5), without its line ending; 400 for a control character (a bare CR, a NUL), a line
    with no colon, a name that is not a token (`Name : value`), a fold."""
    if CONTROL.search(text):
        raise HttpError(400, "InvalidRequest", "a header line contains a control character")
    name, colon, value = text.partition(":")
    if not (colon and HEADER_NAME.fullmatch(name)):
        raise HttpError(400, "InvalidRequest", "a header line is not `name: value` with a "
                        "token for a name (no blank before the colon)")
    return name.lower(), value.strip(" \t")


def connection_tokens(value: str) -> list:
    """The options of a Connection header (`close, te` is a close), lower-case."""
    return [token.strip().lower() for token in value.split(",")]


def framing_problem(headers: Headers) -> Optional[str]:
    """Why the body's length is ambiguous, else None. A request framed one way here and
    another way by a proxy in front could smuggle a second request inside its body, so only
    one plain Content-Length, or Transfer-Encoding exactly `chunked`, is accepted."""
    lengths = headers._values.get("content-length")
    codings = headers._values.get("transfer-encoding")
    if codings is not None:
        if lengths is not None:
            return "both Transfer-Encoding and Content-Length are given"
        if len(codings) != 1 or codings[0].lower() != "chunked":
            return "the only Transfer-Encoding served is chunked"
    elif lengths is not None:
        length = lengths[0]
        if not (0 < len(length) <= 18 and length.isascii() and length.isdigit()):
            return "Content-Length must be 1 to 18 digits"
        if len(lengths) > 1 and any(other != length for other in lengths):
            return "differing Content-Length values"
    return None


def host_problem(headers: Headers, version: str) -> Optional[str]:
    """Why the request's Host is refused, else None. RFC 9112 3.2: a server MUST answer 400
    to an HTTP/1.1 request without a Host header (an HTTP/1.0 client need not send one) and
    to any request with more than one Host line: which one names the target is ambiguous, and
    a proxy in front may have routed by the other."""
    hosts = headers._values.get("host")
    if hosts is None:
        return "an HTTP/1.1 request must have a Host header" if version == "HTTP/1.1" else None
    if len(hosts) > 1:
        return "a request must have only one Host header"
    return None


def read_chunk_size(rfile) -> int:
    """A chunk-size line: 1 to 16 hex digits, then optionally extensions (ignored) as RFC
    9112 7.1.1 writes them. Nothing looser (no sign, no 0x, no blanks inside, no control
    characters), so that we and any proxy before us agree on the body."""
    match = CHUNK_LINE.fullmatch(rfile.readline(MAX_CHUNK_LINE))
    if match:
        return int(match[1], 16)
    raise HttpError(400, "InvalidRequest", "malformed chunked body")


def read_chunked(rfile, limit: int) -> bytes:
    body = bytearray()
    while True:
        size = read_chunk_size(rfile)
        if size == 0:
            break
        if len(body) + size > limit:
            raise HttpError(413, "PayloadTooLarge", f"body exceeds {limit} bytes")
        body += read_exactly(rfile, size)
        if rfile.read(2) != b"\r\n":  # each chunk's data ends with exactly CRLF
            raise HttpError(400, "InvalidRequest", "malformed chunked body")
    for _ in range(MAX_HEADERS + 1):  # trailers, ignored, within the limits of headers
        line = rfile.readline(MAX_CHUNK_LINE)
        if line == b"\r\n":
            return bytes(body)
        if line[-2:] != b"\r\n":  # a bare LF too: the body's end must be unambiguous
            break
        # Ignored, but read as strictly as a header line (no fold either): a bare CR, a NUL
        # or a line that is no field could end the body elsewhere for a proxy in front.
        field_line(line[:-2].decode("iso-8859-1"))
    raise HttpError(400, "InvalidRequest", "malformed chunked body")


def read_body(rfile, headers, limit: int) -> bytes:
    """A Content-Length or chunked body (http.server decodes neither); 413 past `limit`,
    before a byte of a Content-Length body is read. (The body budget is claimed below, by
    the connection's reader, as the bytes arrive.)"""
    if headers.get("transfer-encoding"):  # framing_problem let only `chunked` through
        return read_chunked(rfile, limit)
    length = headers.get("content-length") or "0"
    if not (length.isascii() and length.isdigit()):
        raise HttpError(400, "InvalidRequest", f"invalid Content-Length {length!r}")
    if int(length) > limit:
        raise HttpError(413, "PayloadTooLarge", f"body of {length} bytes exceeds {limit} bytes")
    # One buffer of the whole length (mapped by the kernel only as bytes are written into
    # it), filled as they arrive: a client that announces a body and stalls holds only the
    # pages it sent.
    return read_exactly(rfile, int(length)) if int(length) else b""


def read_exactly(rfile, size: int) -> bytes:
    """`size` bytes, or 400 if the client hung up or went idle (the socket's receive timeout)
    before sending them all."""
    if size < 0:  # read(-1) would read to the end of the stream
        raise HttpError(400, "InvalidRequest", "negative body length")
    data = rfile.read(size)
    if data is None or len(data) < size:
        raise HttpError(400, "InvalidRequest", "the body ended before its announced length")
    return data


# What every response starts with: its status line and its Date header.
STATUS_LINES = {code: f"HTTP/1.1 {code} {phrase}\r\n"
                for code, (phrase, _) in BaseHTTPRequestHandler.responses.items()}
_http_date = (0, "")


def http_date() -> str:
    """The Date header's value, formatted once a second rather than once a call."""
    global _http_date
    now, cached = int(time.time()), _http_date  # one read: other threads may replace it
    if cached[0] != now:
        cached = _http_date = (now, formatdate(now, usegmt=True))
    return cached[1]
