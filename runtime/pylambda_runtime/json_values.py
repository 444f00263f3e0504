"""How many values a JSON body holds, counted on its raw bytes before it is parsed.

Parsed, a value costs far more than its text: `{}` is 3 bytes of JSON and about 75 bytes of
Python objects (an empty dict and its slot in the list), so a body under
PYLAMBDA_MAX_BODY_BYTES could become hundreds of MiB once decoded (runtime/README.md has the
figures). json.loads cannot be stopped part-way, so the bound is checked before it runs.

The check is done by C code, never by a Python loop over the bytes. First a bound that is
never below the true count: a few bytes.count and one bytes.translate, about a millisecond
for a 1 MiB body, which settles every ordinary body. Only a body whose bound is over the
limit is counted exactly, token by token, stopping one past the limit: at most `limit`
steps, whatever the body's size.
"""

import re
import sys
from itertools import accumulate

# Values whose first byte is one of these: numbers, true, false, null, and the NaN,
# Infinity and -Infinity that json.loads also accepts.
SCALAR_FIRST = b"-0123456789tfnNI"
# For the bound: outside strings, a scalar always follows `[`, `,` or `:` once blanks are
# gone; with blanks deleted and those bytes mapped to b"p", scalar first bytes to b"a" and
# everything else to b"x", each scalar is one b"pa" pair (strings may add more, never fewer).
MARKS = bytes(ord("p") if byte in b"[,:" else ord("a") if byte in SCALAR_FIRST else ord("x")
              for byte in range(256))
BLANKS = b" \t\r\n"
# For the exact count, one value per match: a string (up to its closing quote, or to the end
# of the body if it has none, so that no quote is ever scanned twice), an object or array
# opening, or a scalar. Between tokens only blanks and `,:]}` occur, which searching skips.
TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[{]|[' + re.escape(SCALAR_FIRST) +
                   rb'][-+.0-9A-Za-z]*', re.DOTALL)
# Only an object or an array can hold more than one value: any other body is one value (or
# is not JSON, which the parser refuses), so it is not scanned.
CONTAINER_FIRST = re.compile(rb"[ \t\r\n]*[\[{]")


def values_over(data, limit: int) -> bool:
    """Whether the JSON in `data` (UTF-8 bytes, or str) holds more than `limit` values:
    objects, arrays, strings (keys too), numbers and literals. Exact for valid JSON; for
    invalid JSON, what json.loads could build before it fails is never more than counted."""
    if len(data) <= limit:  # every value starts at a byte (a character) of its own
        return False
    if isinstance(data, str):  # a body decoded from UTF-16/32 or latin-1: count its UTF-8
        data = data.encode("utf-8", "surrogatepass")
    if not CONTAINER_FIRST.match(data):
        return False
    bound = (data.count(b"{") + data.count(b"[") + (data.count(b'"') + 1) // 2 +
             data.translate(MARKS, BLANKS).count(b"pa"))
    if bound <= limit:
        return False
    count = 0
    for _ in TOKEN.finditer(data):
        count += 1
        if count > limit:
            return True
    return False


def count_values(data) -> int:
    """The exact count of values in `data` (for tests and measurements)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return sum(1 for _ in TOKEN.finditer(data))


# Nesting. json.loads recurses in C once per array or object, and on Python 3.11 as deep as
# the recursion limit allows: at the default (1000) that is the "nests too deeply" the parser
# raises, but a handler that raised the limit (for a recursive algorithm of its own) let a
# 150 KB body of `[` overflow the thread's C stack and kill the process. The runtime then
# bounds the depth itself, at what the default allows.
MAX_DEPTH = 1000
DEFAULT_RECURSION_LIMIT = 1000
STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)  # as in TOKEN
# For the depth: every byte deleted but brackets, mapped to +1 (opening) and -1 (closing).
NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
BRACKET_STEPS = bytes(1 if byte in b"[{" else 255 if byte in b"]}" else 0 for byte in range(256))


def too_deep(data) -> bool:
    """Whether the JSON in `data` (UTF-8 bytes, or str) nests more than MAX_DEPTH arrays and
    objects when the recursion limit is above the default (else the parser's RecursionError
    says so, safely). C code only; nothing to do for a body with fewer brackets."""
    if sys.getrecursionlimit() <= DEFAULT_RECURSION_LIMIT:
        return False
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return False
    # Outside strings only (a string may hold any bracket): split at quotes when no string
    # holds an escape, else the strings taken out.
    outside = STRING.sub(b"", data) if b"\\" in data else b"".join(data.split(b'"')[::2])
    steps = outside.translate(BRACKET_STEPS, NOT_BRACKETS)
    return max(accumulate(memoryview(steps).cast("b")), default=0) > MAX_DEPTH
