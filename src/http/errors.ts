// Every error the service answers is JSON: `{"error": "...", "problems": [...]}`.
import type { Context, Next } from 'koa';
import type { Logger } from '../telemetry/logger.js';
import type { Problem } from '../validation/problems.js';

export interface ErrorBody {
  error: string;
  problems?: Problem[];
}

export function sendError(ctx: Context, status: number, body: ErrorBody): void {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(body);
}

interface HttpishError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message?: string;
  limit?: number;
}

/**
 * Anything that goes wrong while reading a request body is the caller's doing: an unknown
 * Content-Encoding (415 from inflation, not marked for exposure) or a corrupt gzip or brotli
 * stream (a zlib error with no status at all). Marked as such, jsonErrors answers it with a 4xx.
 */
export function bodyReadError(caught: unknown): unknown {
  const err = caught as HttpishError;
  const status = err.status ?? err.statusCode;
  if (status === undefined || status < 400 || status >= 500) {
    err.status = 400;
    err.message = `request body could not be read: ${err.message ?? String(caught)}`;
  }
  err.expose = true;
  return caught;
}

/** The body was not through within the deadline (PYLAMBDA_BODY_READ_TIMEOUT_MS). */
export function bodyReadTimeout(timeoutMs: number): Error {
  return Object.assign(
    new Error(
      `request body not received within ${timeoutMs} ms (PYLAMBDA_BODY_READ_TIMEOUT_MS); connection closed`,
    ),
    { status: 408, expose: true },
  );
}

/** What reading a body throws (raw-body, inflation) becomes a clear JSON 4xx; anything else a 500. */
export function jsonErrors(logger: Logger) {
  return async function jsonErrorMiddleware(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (caught) {
      const err = caught as HttpishError;
      const status = err.status ?? err.statusCode ?? 500;
      if (status === 413 || err.type === 'entity.too.large') {
        sendError(ctx, 413, {
          error: `request body is larger than the limit of ${err.limit ?? 'the configured'} bytes (PYLAMBDA_BODY_LIMIT_BYTES)`,
        });
      } else if (status < 500 && err.expose) {
        sendError(ctx, status, { error: err.message ?? 'bad request' });
      } else {
        logger.error({ err: caught, path: ctx.path }, 'unhandled error');
        sendError(ctx, 500, { error: 'internal error' });
      }
    }
  };
}
