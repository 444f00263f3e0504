// Optional bearer-token authentication of hook calls (Metacontroller >= 4.16 sends
// `Authorization: Bearer <token>` from a Secret). Tokens are compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { sendError } from './errors.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Hashing both sides first gives equal-length buffers, so the comparison leaks no length. The
 * expected side is a setting: hashed once, not on every call.
 */
function tokenMatches(presented: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(digest(presented), expectedDigest);
}

export function bearerAuth(expectedToken: string) {
  const expectedDigest = digest(expectedToken);
  return async function bearerAuthMiddleware(ctx: Context, next: Next): Promise<void> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
    if (!match || !tokenMatches(match[1]!, expectedDigest)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="pylambda"');
      sendError(ctx, 401, {
        error: 'hook calls need a valid bearer token (Authorization: Bearer <token>)',
      });
      return;
    }
    await next();
  };
}
