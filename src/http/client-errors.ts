// Requests Node's HTTP parser refuses before they reach Koa (malformed framing, headers too
// large, headers past their deadline) are answered here, as JSON like every other error of the
// service. Node's own answer to them is a bare status line with no body.

/** Node's code for the refusal -> the status it gets, and why, in words. */
function describeClientError(code: string | undefined): { status: number; error: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, error: 'request headers too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        error:
          'request headers not received within PYLAMBDA_BODY_READ_TIMEOUT_MS; connection closed',
      };
    case 'HPE_INVALID_METHOD':
      return { status: 400, error: 'malformed request: unknown method' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        error: 'malformed request: Content-Length and Transfer-Encoding disagree or are invalid',
      };
    default:
      return { status: 400, error: 'malformed HTTP request' };
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** The whole answer, head and body, to a request the parser refused with `code`. */
export function clientErrorResponse(code: string | undefined): string {
  const { status, error } = describeClientError(code);
  const body = JSON.stringify({ error });
  return (
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * A 'checkExpectation' listener: an `Expect` other than 100-continue is answered 417 in JSON
 * (Node's own answer has no body), and the connection closed, as its body may follow unasked.
 */
export function answerUnmetExpectation(
  request: { headers: { expect?: string } },
  response: {
    writeHead: (status: number, headers: Record<string, string | number>) => void;
    end: (body: string) => void;
  },
): void {
  const body = JSON.stringify({
    error: `Expect: ${request.headers.expect ?? ''} is not supported; only 100-continue is`,
  });
  response.writeHead(417, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  response.end(body);
}

interface ClientSocket {
  writable: boolean;
  end: (data: string) => void;
  destroy: () => void;
}

/** A 'clientError' listener: answer if the client can still hear it, then close. */
export function answerClientError(err: NodeJS.ErrnoException, socket: ClientSocket): void {
  // Only the HTTP parser's refusals get an HTTP answer. An HTTPS server reports its TLS errors
  // here too (a handshake past its deadline, a ClientHello that is not one): written to a
  // socket whose handshake never finished, an answer would wait for it forever, and the socket
  // with it.
  const http = /^(HPE_|ERR_HTTP_)/.test(err.code ?? '');
  if (!http || !socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(err.code));
}
