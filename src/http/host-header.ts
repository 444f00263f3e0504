// RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request with no Host field line, or
// with more than one. Node's own check answers a bare 400 with no body and lets a second Host
// through (it keeps the first), so the server turns it off (requireHostHeader: false) and this
// answers both in the service's JSON shape.
import type { Context, Next } from 'koa';
import { sendError } from './errors.js';

/** Why the request's Host field lines are wrong, if they are. `rawHeaders`: name, value, ... */
export function hostProblem(
  httpVersion: string,
  rawHeaders: readonly string[],
): string | undefined {
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.length === 4 && rawHeaders[i]!.toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) return `${hosts} Host headers; a request has exactly one (RFC 9112 §3.2)`;
  if (hosts === 0 && httpVersion !== '1.0') {
    return `HTTP/${httpVersion} request without a Host header (RFC 9112 §3.2)`;
  }
  return undefined;
}

export async function requireOneHost(ctx: Context, next: Next): Promise<void> {
  const problem = hostProblem(ctx.req.httpVersion, ctx.req.rawHeaders);
  if (problem === undefined) return next();
  // Which request the client meant is unclear: do not read another from this connection.
  ctx.set('Connection', 'close');
  sendError(ctx, 400, { error: problem });
}
