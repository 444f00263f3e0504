// A bound on hook calls in progress. Past it the service answers 429 with Retry-After, which
// Metacontroller honours by requeueing the object, instead of letting every call queue up and
// run into Metacontroller's 10 s hook timeout (which it would retry with backoff anyway).
import type { Context, Next } from 'koa';
import type { Metrics } from '../telemetry/metrics.js';
import { sendError } from './errors.js';

export interface InflightLimit {
  /**
   * The guard of one hook, counting its refusals under that hook's name: never the request's
   * path, which a client chooses (the router matches it case-insensitively, with or without a
   * trailing slash), so refused calls cannot mint new metric series.
   */
  middleware: (hook: string) => (ctx: Context, next: Next) => Promise<void>;
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
    middleware: (hook) => async (ctx, next) => {
      if (inflight >= max) {
        metrics.hookErrors.inc({ hook, reason: 'overloaded' });
        ctx.set('Retry-After', String(retryAfterSeconds));
        sendError(ctx, 429, {
          error: `overloaded: ${inflight} hook calls in progress (PYLAMBDA_MAX_INFLIGHT=${max}); retry after ${retryAfterSeconds}s`,
        });
        return;
      }
      inflight += 1;
      metrics.inflight.set(inflight);
      // The slot is held until the answer is written (or the connection is gone), not only while
      // the hook runs: an answer waiting for a client that does not read is memory in use, and
      // the bound is what keeps it within the pod's limit (write-deadline.ts ends the wait).
      // A pipelined call's answer waits in Node's queue behind the one before it, with no socket
      // of its own yet; if the connection goes first, that answer never emits 'close', and its
      // slot would be held for good (a client that pipelines calls behind an answer it does not
      // read took two of four slots each time). The connection's own 'close' releases it too.
      const { socket } = ctx.req;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        socket.off('close', release);
        inflight -= 1;
        metrics.inflight.set(inflight);
      };
      ctx.res.once('close', release);
      if (socket.destroyed) release();
      else socket.once('close', release);
      await next();
    },
  };
}
