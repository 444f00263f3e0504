// A bound on hook calls in progress. Past it the service answers 429 with Retry-After, which
// Metacontroller honours by requeueing the object, instead of letting every call queue up and
// run into Metacontroller's 10 s hook timeout (which it would retry with backoff anyway).
import type { Context, Next } from 'koa';
import type { Metrics } from '../telemetry/metrics.js';
import { sendError } from './errors.js';

export interface InflightLimit {
  middleware: (ctx: Context, next: Next) => Promise<void>;
  /** Calls in progress now (for tests and metrics). */
  current: () => number;
}

export function inflightLimit(
  max: number,
  retryAfterSeconds: number,
  metrics: Metrics,
): InflightLimit {
  let inflight = 0;
  return {
    current: () => inflight,
    async middleware(ctx, next) {
      if (inflight >= max) {
        metrics.hookErrors.inc({ hook: ctx.path.replace(/^\/hooks\//, ''), reason: 'overloaded' });
        ctx.set('Retry-After', String(retryAfterSeconds));
        sendError(ctx, 429, {
          error: `overloaded: ${inflight} hook calls in progress (PYLAMBDA_MAX_INFLIGHT=${max}); retry after ${retryAfterSeconds}s`,
        });
        return;
      }
      inflight += 1;
      metrics.inflight.set(inflight);
      try {
        await next();
      } finally {
        inflight -= 1;
        metrics.inflight.set(inflight);
      }
    },
  };
}
