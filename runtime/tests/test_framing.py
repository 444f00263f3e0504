"""Request framing in-process: chunked bodies, Content-Length and Transfer-Encoding, and what
a malformed or ambiguous request gets (400 and the end of the connection)."""

import io
import json
import socket
import unittest
from unittest import mock

from runtime.pylambda_runtime import connection
from runtime.pylambda_runtime.framing import HttpError, read_exactly
from runtime.tests.harness import read_to_eof
from runtime.tests.in_process import serve_in_process

IDLE = 2.0  # longer than any answer here should take: a test that waits this long failed


class FramingTest(unittest.TestCase):
    """A real Server on 127.0.0.1 in this process; the handler echoes the body it got."""

    def setUp(self):
        self.server = serve_in_process(
            self, lambda event, context: {"path": context.path, "body": context.body.decode()},
            IDLE, {"PYLAMBDA_MAX_BODY_BYTES": "1000"})

    def exchange(self, data: bytes) -> tuple:
        """Send data (the connection left open), read to the server's EOF: (the statuses and
        bodies answered, seconds it took)."""
        received, seconds = read_to_eof(self.server.server_address, data, timeout=10)
        return split_responses(received), seconds

    def assert_refused(self, data: bytes, status: int = 400):
        """One answer, `status`, saying `Connection: close`, and the connection closed right
        after it."""
        answers, seconds = self.exchange(data)
        self.assertEqual([a[0] for a in answers], [status], answers)
        self.assertEqual(answers[0][2].count(b"\r\nconnection: "), 1, answers[0][2])
        self.assertIn(b"\r\nconnection: close\r\n", answers[0][2] + b"\r\n")
        self.assertLess(seconds, IDLE * 0.9, "the connection was left open")

    def post(self, headers: bytes, body: bytes = None) -> bytes:
        """A POST with these header lines, then `body` (by default a request smuggled in)."""
        return b"POST /a HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n" + (SMUGGLED if body is None else body)

    def chunked(self, body: bytes) -> bytes:
        return b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body


def split_responses(data: bytes) -> list:
    """(status, body, head in lower case) of each response in data (all framed by
    Content-Length)."""
    answers = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next((int(line.split(b":")[1]) for line in lines
                       if line.lower().startswith(b"content-length:")), 0)
        answers.append((int(lines[0].split()[1]), rest[:length], head.lower()))
        data = rest[length:]
    return answers


class ChunkedTest(FramingTest):
    def test_a_well_formed_chunked_body_is_read(self):
        request = self.chunked(b"3\r\nabc\r\n2;name=value\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n")
        answers, _ = self.exchange(request + b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual([a[0] for a in answers], [200, 200])
        self.assertEqual(json.loads(answers[0][1])["body"], "abcde")

    def test_a_chunk_size_that_is_not_1_to_16_hex_digits_is_400(self):
        for size in (b"-1", b"-2", b"0x3", b"+3", b" 3", b"1_0", b"", b"1" * 17, b"3 "):
            with self.subTest(size=size):
                self.assert_refused(self.chunked(size + b"\r\nabc\r\n0\r\n\r\n"))

    def test_a_negative_chunk_size_does_not_read_to_the_end_of_the_stream(self):
        self.assert_refused(self.chunked(b"-1\r\n" + b"A" * 5000))

    def test_chunk_data_must_end_with_crlf(self):
        self.assert_refused(self.chunked(b"3\r\nabcXYZ\r\n0\r\n\r\n"))
        self.assert_refused(self.chunked(b"1\r\nA" + b"B" * 100000))

    def test_a_long_chunk_size_line_or_trailer_line_is_400(self):
        self.assert_refused(self.chunked(b"3;" + b"e" * 2000 + b"\r\nabc\r\n0\r\n\r\n"))
        self.assert_refused(self.chunked(b"0\r\nX-T: " + b"t" * 2000 + b"\r\n\r\n"))

    def test_read_exactly_refuses_a_negative_size(self):
        with self.assertRaises(HttpError):
            read_exactly(io.BytesIO(b"abc"), -1)


SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


class AmbiguousFramingTest(FramingTest):
    """Each request here could be framed differently by a proxy in front: 400, then close."""

    def test_content_length_must_be_ascii_digits(self):
        for value in (b"\xb2", b"-1", b"+3", b"0x3", b"3 3", b"1" * 19, b"3, 3"):
            with self.subTest(value=value):
                self.assert_refused(self.post(b"Content-Length: " + value + b"\r\n"))

    def test_transfer_encoding_other_than_exactly_chunked_is_400(self):
        for value in (b"xchunked", b"gzip, chunked", b"chunked, identity", b"identity"):
            with self.subTest(value=value):
                self.assert_refused(self.post(b"Transfer-Encoding: " + value + b"\r\n",
                                              b"0\r\n\r\n" + SMUGGLED))

    def test_transfer_encoding_is_a_case_insensitive_token(self):
        answers, _ = self.exchange(self.post(b"Transfer-Encoding: Chunked\r\nConnection: close\r\n",
                                             b"1\r\na\r\n0\r\n\r\n"))
        self.assertEqual([a[0] for a in answers], [200])

    def test_transfer_encoding_with_content_length_is_400(self):
        body = b"0\r\n\r\n" + SMUGGLED
        self.assert_refused(self.post(b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n" % len(body), body))

    def test_duplicate_transfer_encoding_or_differing_content_lengths_are_400(self):
        self.assert_refused(self.post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                                      b"0\r\n\r\n" + SMUGGLED))
        self.assert_refused(self.post(b"Content-Length: 0\r\nContent-Length: %d\r\n" % len(SMUGGLED)))

    def test_identical_duplicate_content_lengths_are_accepted(self):
        answers, _ = self.exchange(self.post(b"Content-Length: 2\r\nContent-Length: 2\r\n"
                                             b"Connection: close\r\n", b"[]"))
        self.assertEqual([a[0] for a in answers], [200])

    def test_a_folded_content_length_transfer_encoding_or_host_is_400(self):
        # A proxy that does not unfold obsolete line folding reads these as empty or missing,
        # so it would frame the body (or route the request) otherwise (Node's CVE-2022-32215).
        self.assert_refused(self.post(b"Transfer-Encoding:\r\n chunked\r\n", b"0\r\n\r\n" + SMUGGLED))
        self.assert_refused(self.post(b"Transfer-Encoding: chunked\r\n\t,identity\r\n",
                                      b"0\r\n\r\n" + SMUGGLED))
        self.assert_refused(self.post(b"Content-Length:\r\n %d\r\n" % len(SMUGGLED)))
        self.assert_refused(b"GET / HTTP/1.1\r\nHost:\r\n other\r\n\r\n" + SMUGGLED)

    def test_a_folded_line_before_any_header_is_400_not_dropped(self):
        # Dropped, ` Transfer-Encoding: chunked` would be no header here but a header to a
        # proxy that strips the blank: one of us would read a body the other does not.
        self.assert_refused(b"GET / HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: x\r\n\r\n"
                            b"0\r\n\r\n" + SMUGGLED)

    def test_a_blank_before_a_header_colon_is_400(self):
        self.assert_refused(self.post(b"Transfer-Encoding : chunked\r\nContent-Length: 0\r\n"))
        self.assert_refused(self.post(b"Content-Length\t: 0\r\n"))

    def test_a_probe_with_a_body_closes_the_connection(self):
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED)
        self.assert_refused(request + SMUGGLED, status=200)

    def test_a_runtime_error_closes_the_connection(self):
        with mock.patch.object(connection, "decode_event", side_effect=RuntimeError("bug")):
            self.assert_refused(self.post(b"Content-Length: %d\r\n" % len(SMUGGLED)), status=500)

    def test_a_base_exception_in_the_runtime_is_answered_and_leaves_no_call_in_flight(self):
        with mock.patch.object(connection, "decode_event", side_effect=KeyboardInterrupt):
            self.assert_refused(self.post(b"Content-Length: %d\r\n" % len(SMUGGLED)), status=500)
        metrics = self.server.runtime.metrics
        self.assertEqual((metrics.inflight, metrics.unfinished, metrics.by_code), (0, 0, {500: 1}))


class StrictParsingTest(FramingTest):
    """What RFC 9110/9112 do not allow in a request is refused with 400 and the connection
    closed, as h11 does, rather than passed on to the handler or read leniently."""

    def test_a_control_character_in_a_header_value_is_400(self):
        for value in (b"a\rb", b"a\r", b"a\x00b", b"\x00", b"a\x1bb", b"a\x7f"):
            with self.subTest(value=value):
                self.assert_refused(self.post(b"X-Odd: " + value + b"\r\nContent-Length: 0\r\n"))

    def test_a_header_name_that_is_not_a_token_is_400(self):
        for name in (b"X(y)", b"X/y", b"X\"", b"X@y", b"X\xe9", b"", b"not a header line"):
            with self.subTest(name=name):
                self.assert_refused(self.post(name + b": 1\r\nContent-Length: 0\r\n"))
        self.assert_refused(self.post(b"no colon at all\r\nContent-Length: 0\r\n"))

    def test_http_1_0_with_transfer_encoding_is_400_and_closed(self):
        request = b"POST /c HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        self.assert_refused(request + b"2\r\n{}\r\n0\r\n\r\n" + SMUGGLED)

    def test_connection_close_among_other_options_closes(self):
        for value in (b"close, te", b"TE, Close", b"keep-alive,close"):
            with self.subTest(value=value):
                request = b"GET / HTTP/1.1\r\nHost: x\r\nTE: trailers\r\nConnection: " + value + b"\r\n\r\n"
                self.assert_refused(request + SMUGGLED, status=200)

    def test_a_request_line_ended_by_a_bare_cr_before_its_crlf_is_400(self):
        for ending in (b"\r\r\n", b"\r\r\r\n"):
            with self.subTest(ending=ending):
                self.assert_refused(b"GET / HTTP/1.1" + ending + b"Host: x\r\n\r\n")

    def test_a_trailer_line_is_a_field_line_or_400(self):
        # Trailers are ignored, but read as strictly as headers: a NUL, a bare CR or a line
        # that is not `name: value` could end the body elsewhere for a proxy in front.
        for line in (b"X-T: a\x00b", b"X-T: a\rb", b"\x00garbage", b"X-T : 1", b" folded",
                     b"no colon"):
            with self.subTest(line=line):
                self.assert_refused(self.chunked(b"2\r\n{}\r\n0\r\n" + line + b"\r\n\r\n"))
        answers, _ = self.exchange(self.chunked(b"2\r\n{}\r\n0\r\nX-T: a\tb\r\nY:\r\n\r\n") +
                                   b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual([a[0] for a in answers], [200, 200])

    def test_a_trailer_section_ended_by_a_bare_lf_is_400_at_once(self):
        self.assert_refused(self.chunked(b"2\r\n{}\r\n0\r\n\n"))
        self.assert_refused(self.chunked(b"2\r\n{}\r\n0\r\nX-T: 1\n\r\n"))


class ConnectionHeaderTest(FramingTest):
    def test_a_handler_keep_alive_does_not_keep_a_connection_the_client_closes(self):
        self.server.runtime.handler = lambda event, context: ("ok", 200, {"Connection": "keep-alive"})
        request = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        self.assert_refused(request + SMUGGLED, status=200)

    def test_a_handler_connection_close_ends_the_connection(self):
        self.server.runtime.handler = lambda event, context: ("ok", 200, {"Connection": "close"})
        self.assert_refused(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED, status=200)

    def test_an_http_1_0_keep_alive_kept_is_answered_connection_keep_alive(self):
        # An HTTP/1.0 client (or proxy) takes an answer without it as the server closing,
        # while the runtime keeps the connection open: RFC 9112 9.3's keep-alive is confirmed.
        answers, _ = self.exchange(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                                   b"GET /b HTTP/1.0\r\n\r\n")
        self.assertEqual([a[0] for a in answers], [200, 200])
        self.assertIn(b"\r\nconnection: keep-alive", answers[0][2])
        self.assertIn(b"\r\nconnection: close", answers[1][2])
        self.server.runtime.handler = lambda event, context: ("ok", 200, {"Connection": "close"})
        self.assert_refused(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + SMUGGLED, status=200)

    def test_a_header_block_over_the_limits_is_431_saying_which_limit(self):
        for headers, limit in ((b"X: 1\r\n" * 101, b"100 header lines"),
                               (b"X: " + b"a" * 65536 + b"\r\n", b"64 KiB")):
            answers, _ = self.exchange(b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
            self.assertEqual(answers[0][0], 431)
            self.assertIn(limit, answers[0][1])
        answers, _ = self.exchange(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: 1\r\n" * 98 + b"Connection: close\r\n\r\n")
        self.assertEqual([a[0] for a in answers], [200], "100 header lines are allowed")


class ConnectTest(FramingTest):
    def test_a_connect_is_answered_and_its_connection_closed(self):
        # A proxy that forwards a CONNECT reads a 2xx answer as a tunnel opened: what its
        # client sends next is tunnel data to it, never requests it checks. Read on here as
        # requests, they would be smuggled past it.
        request = b"CONNECT internal.example:443 HTTP/1.1\r\nHost: internal.example:443\r\n\r\n"
        self.assert_refused(request + SMUGGLED, status=200)


class EarlyAnswerTest(FramingTest):
    def test_a_413_reaches_a_client_that_sends_its_whole_body_before_reading(self):
        # Just past the default 6 MiB limit, and more than socket buffers hold: closing at once,
        # or after draining too little, resets the connection before the client reads the 413.
        body = b"x" * (7 << 20)
        for _ in range(5):
            with socket.create_connection(self.server.server_address, timeout=10) as sock:
                try:
                    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                except OSError as exc:
                    self.fail(f"the connection was reset while the body was sent: {exc!r}")
                self.assertTrue(sock.recv(65536).startswith(b"HTTP/1.1 413 "))

    def test_no_100_continue_for_a_body_over_the_limit_or_a_handler_not_ready(self):
        request = b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n"
        for length, ready, status in ((5000, True, 413), (10, False, 503), (10, True, 100)):
            self.server.runtime.state = "ready" if ready else "importing"
            with socket.create_connection(self.server.server_address, timeout=10) as sock:
                sock.sendall(request % length)
                self.assertTrue(sock.recv(65536).startswith(b"HTTP/1.1 %d " % status))


if __name__ == "__main__":
    unittest.main()
