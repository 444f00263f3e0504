"""Bodies in and out: a request body decoded into the handler's event, and whatever the
handler returns encoded into a Response (the forms are listed in runtime/README.md). This
is the handler's side of a request; where the body ends is framing's business."""

import json
from dataclasses import dataclass
from typing import Optional

from .framing import CONTROL, HEADER_NAME, HttpError
from .json_values import too_deep, values_over

JSON_TYPE = "application/json"
JSON_BODY = json.JSONEncoder(ensure_ascii=False, allow_nan=False)  # stateless, shared by calls


@dataclass
class Response:
    status: int
    headers: list  # (name, value) pairs, so Set-Cookie can repeat
    body: bytes = b""
    failure: Optional[dict] = None  # log fields when the handler failed (an error in metrics)


def error_response(status: int, kind: str, message: str, request_id: str, failure=None):
    body = json.dumps({"error": message, "type": kind, "requestId": request_id}).encode()
    return Response(status, [("Content-Type", JSON_TYPE)], body, failure)


# The charsets a body may name, by their usual names, and the codec each means. Only codecs
# that decode in linear time: Python knows many more, and some (punycode) take seconds of
# CPU for a few hundred KB, which a client could use to stall a connection's thread.
CHARSETS = {
    **dict.fromkeys(("utf-8", "utf8"), "utf-8"),
    **dict.fromkeys(("utf-16", "utf16"), "utf-16"),
    **dict.fromkeys(("utf-16le", "utf-16be", "utf-32le", "utf-32be"), None),  # themselves
    **dict.fromkeys(("utf-32", "utf32"), "utf-32"),
    **dict.fromkeys(("ascii", "us-ascii"), "ascii"),
    **dict.fromkeys(("latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1"), "latin-1"),
}


def codec_of(charset: str) -> str:
    """The codec for a charset parameter; 415 for one not in CHARSETS."""
    name = charset.lower()
    if name not in CHARSETS:
        raise HttpError(415, "UnsupportedCharset",
                        f"charset {charset[:40]!r} is not served; use utf-8, utf-16, utf-32, "
                        "ascii or latin-1")
    return CHARSETS[name] or name


def check_values(data, max_values: int) -> None:
    """413 for JSON (UTF-8 bytes, or str) of more than `max_values` values, counted before
    it is parsed (json_values): json.loads cannot be stopped part-way, and a value costs up
    to ~100 bytes once parsed."""
    if values_over(data, max_values):
        raise HttpError(413, "TooManyJSONValues",
                        f"the JSON body holds more than {max_values} values "
                        "(PYLAMBDA_MAX_JSON_VALUES)")


def parse_json(data, max_values: int):
    """json.loads within `max_values`, with nesting too deep for the parser's recursion
    refused as invalid JSON (the client's doing, not a runtime error)."""
    if len(data) > max_values:  # else too short to hold more: each value has a byte of its own
        if isinstance(data, bytes) and (not data[:1].isascii() or b"\0" in data[:4]):
            encoding = json.detect_encoding(data)  # a BOM, or UTF-16/32: as json.loads does
            if encoding != "utf-8":  # decoded here, so counted as the text it is
                data = data.decode(encoding, "surrogatepass")
        check_values(data, max_values)
    if too_deep(data):
        raise ValueError("it nests too deeply")
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("it nests too deeply") from None


def media_of(content_type: Optional[str]) -> tuple:
    """(media type lower-case, its parameters) of a Content-Type header."""
    media, _, params = (content_type or "").partition(";")
    return media.strip().lower(), params


def event_text_bytes(body: bytes, content_type: Optional[str]) -> int:
    """At most how many bytes of text decode_event makes of `body`: a str of it for text,
    and for JSON (or a guess) that str and the parsed strings too. A str takes 1 byte a
    character if all are ASCII, else up to 4 (one character outside the BMP makes every
    character 4), so one JSON string of 6 MiB may cost its bytes and 48 MiB more. ASCII
    bytes may parse into such strings too, through a \\uXXXX escape, or as UTF-16 or
    UTF-32 (whose ASCII characters are ASCII bytes and NULs): the parsed copy of an ASCII
    body holding either counts 4 bytes a byte. Two searches cost far less than the parse."""
    media = media_of(content_type)[0]
    if media.startswith("text/"):
        copies = 1
    elif not media or media == JSON_TYPE or media.endswith("+json"):
        copies = 2
    else:
        return 0  # bytes: the event is the body itself
    if not body.isascii():
        return copies * len(body) * 4
    if copies == 2 and (b"\\u" in body or b"\0" in body):
        return len(body) * (1 + 4)  # the str of it, then the parsed strings
    return copies * len(body)


def decode_event(body: bytes, content_type: Optional[str], max_values: int):
    """JSON values for application/json and */*+json, str for text/*, None for an empty body,
    bytes otherwise. With no Content-Type (clients often omit it) we guess: JSON if it
    parses, else UTF-8 text, else bytes (JSON that nests too deeply is refused either way,
    and so is JSON with more than `max_values` values)."""
    if not body:
        return None
    media, params = media_of(content_type)
    charset = params and next((v.strip().strip('"') for k, _, v in
                               (p.partition("=") for p in params.split(";"))
                               if k.strip().lower() == "charset"), None) or None
    if not media:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        if len(body) > max_values:
            check_values(body, max_values)  # the UTF-8 bytes: no need to encode the text again
        if body[:1] in (b"[", b"{", b" ", b"\t", b"\r", b"\n") and too_deep(body):
            raise HttpError(400, "InvalidJSON", "invalid JSON body: it nests too deeply")
        try:
            return json.loads(text)
        except ValueError:
            return text
        except RecursionError:
            raise HttpError(400, "InvalidJSON", "invalid JSON body: it nests too deeply") from None
    if media == JSON_TYPE or media.endswith("+json"):
        try:  # without a charset, json.loads detects UTF-8/16/32 and a BOM itself
            return parse_json(body.decode(codec_of(charset)) if charset else body, max_values)
        except ValueError as exc:
            raise HttpError(400, "InvalidJSON", f"invalid JSON body: {exc}") from None
    if media.startswith("text/"):
        try:
            return body.decode(codec_of(charset) if charset else "utf-8")
        except ValueError as exc:
            message = f"body is not {charset or 'utf-8'} text: {exc}"
            raise HttpError(400, "InvalidBody", message) from None
    return body


def encode_response(body, status=200, headers=None) -> Response:
    """Encode one body (None, bytes, str, else JSON) with its status and headers. Raises for
    what we cannot send faithfully (a set, NaN, a bad status, a header with a control
    character). A message names the type of a bad status, never its value: the handler's
    data may hold secrets, and the message reaches the client and the log."""
    if isinstance(status, bool) or not isinstance(status, int):
        raise ValueError(f"status must be an int from 200 to 599, not {type(status).__name__}")
    # As plain int, str and bytes (as header names and values are, below): a subclass's own
    # methods would run as the head is written, outside the call's deadline, and may lie: an
    # int that formats as "200 OK\r\nX-Injected: 1", a str whose encode() returns no bytes,
    # bytes whose len() (the Content-Length) is short of what is sent.
    status = int.__int__(status)
    if not 200 <= status <= 599:
        raise ValueError(f"status must be an int from 200 to 599, not {status}")
    if not isinstance(headers, (dict, type(None))):
        raise TypeError(f"headers must be a dict, not {type(headers).__name__}")
    pairs = []
    for name, value in (headers or {}).items():
        if not isinstance(name, str):
            raise ValueError(f"a header name must be a str, not {type(name).__name__}")
        # A str subclass's own methods are the handler's code: as plain str, none of it
        # runs when the head is written, outside the call's deadline and its error answers.
        name = str.__str__(name)
        if not HEADER_NAME.fullmatch(name):
            raise ValueError(f"invalid header name {name[:40]!r}")
        for item in value if isinstance(value, (list, tuple)) else [value]:
            text = str.__str__(str(item))  # str() may return a subclass's instance too
            if CONTROL.search(text):  # CR/LF would inject headers; NUL, ESC & co. are invalid
                raise ValueError(f"invalid value for header {name!r}")
            try:
                text.encode("latin-1")  # what HTTP/1.1 headers can carry
            except UnicodeEncodeError:
                raise ValueError(f"header {name!r} is not Latin-1 text") from None
            if name.lower() not in ("content-length", "transfer-encoding"):  # we frame bodies
                pairs.append((name, text))
    if body is None:
        content_type, data = None, b""
    elif isinstance(body, (bytes, bytearray, memoryview)):
        data = body if type(body) is bytes else bytes(memoryview(body))  # its bytes, not __bytes__
        content_type = "application/octet-stream"
    elif isinstance(body, str):
        content_type, data = "text/plain; charset=utf-8", str.encode(body, "utf-8")
    else:
        content_type = JSON_TYPE
        data = JSON_BODY.encode(body).encode("utf-8")
    if content_type and not any(n.lower() == "content-type" for n, _ in pairs):
        pairs.insert(0, ("Content-Type", content_type))
    return Response(status, pairs, data)


def encode_result(result) -> Response:
    """Map a handler's return value to a response; the forms are listed in README.md."""
    if isinstance(result, tuple):
        if len(result) not in (2, 3):
            raise TypeError("a tuple return must be (body, status) or (body, status, headers)")
        return encode_response(*result)
    code = result.get("statusCode") if isinstance(result, dict) else None
    explicit = isinstance(code, int) and not isinstance(code, bool)
    if explicit and set(result) <= {"statusCode", "headers", "body"}:
        return encode_response(result.get("body"), code, result.get("headers"))
    return Response(204, []) if result is None else encode_response(result)
