// An answer its client does not take is held in memory for as long as the connection lasts: a
// client that sends a call and never reads would keep its answer (megabytes for a large lambda)
// and, through the in-flight bound, a slot. Node has no deadline for writing a response, and its
// socket timeout does not cover a keep-alive connection's later calls, so each answer gets one
// of its own: not all handed to the kernel within `timeoutMs` of being ready, its connection is
// destroyed, which frees both.
import type { Context, Next } from 'koa';

export function writeDeadline(timeoutMs: number, onExpired: (ctx: Context) => void = () => {}) {
  return async function writeDeadlineMiddleware(ctx: Context, next: Next): Promise<void> {
    // Armed on the way out too when a later middleware throws: the error answer is written the same way.
    try {
      await next();
    } finally {
      const { res } = ctx;
      if (!res.writableFinished && !res.destroyed) {
        const timer = setTimeout(() => {
          onExpired(ctx);
          res.destroy();
        }, timeoutMs);
        timer.unref();
        res.once('finish', () => clearTimeout(timer));
        res.once('close', () => clearTimeout(timer));
      }
    }
  };
}
