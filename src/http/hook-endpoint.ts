// One hook as a Koa handler: check the body against its schema, call the pure hook, answer JSON,
// and leave one log line and the metrics behind. All decisions live in the hook itself.
// A request whose exact bytes were answered 200 before gets that answer again from the cache.
import type { ValidateFunction } from 'ajv';
import type { Context } from 'koa';
import type { HookContext } from '../hooks/hook-context.js';
import type { HookDefinition } from '../hooks/hook-definitions.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { MAX_NESTING_DEPTH, tooDeepAt } from '../validation/depth.js';
import { pointerToPath, problemsFromAjv } from '../validation/problems.js';
import { sendError } from './errors.js';
import { etagOf, ifNoneMatchHits } from './etag.js';
import { responseCacheKey, type CachedAnswer, type ResponseCache } from './response-cache.js';

export interface HookEndpointDeps {
  hook: HookDefinition;
  validateRequest: ValidateFunction;
  hookContext: HookContext;
  logger: Logger;
  metrics: Metrics;
  /** Absent when PYLAMBDA_RESPONSE_CACHE_BYTES is 0. */
  responseCache?: ResponseCache;
}

interface Identity {
  namespace?: string;
  name?: string;
  generation?: number;
}

/** Who the call is about, for the log line: the parent (composite) or object (decorator). */
function identityOf(body: unknown): Identity {
  const root = (body as { parent?: unknown; object?: unknown } | null) ?? {};
  const metadata = ((root.parent ?? root.object) as { metadata?: Identity } | undefined)?.metadata;
  return { namespace: metadata?.namespace, name: metadata?.name, generation: metadata?.generation };
}

function isJson(ctx: Context): boolean {
  return ctx.is('application/json', '+json') !== false;
}

export function hookEndpoint({
  hook,
  validateRequest,
  hookContext,
  logger,
  metrics,
  responseCache,
}: HookEndpointDeps) {
  /** A 200 with the answer, or 304 when the caller already holds it: the same for hit and miss. */
  function send(ctx: Context, { body, etag }: CachedAnswer): void {
    ctx.set('ETag', etag);
    if (ifNoneMatchHits(ctx.get('if-none-match'), etag)) {
      metrics.notModified.inc({ hook: hook.name });
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/json';
    ctx.body = body;
  }

  return async function hookHandler(ctx: Context): Promise<void> {
    const started = process.hrtime.bigint();
    let reason = 'ok';
    let hit = false;
    try {
      if (!isJson(ctx)) {
        reason = 'unsupported-media-type';
        sendError(ctx, 415, {
          error: `Content-Type must be application/json, got ${JSON.stringify(ctx.get('content-type'))}`,
        });
        return;
      }
      // Only 200 answers are stored, so an invalid request never hits and is refused every time.
      const rawBody = (ctx.request as { rawBody?: unknown }).rawBody;
      const key =
        responseCache && typeof rawBody === 'string'
          ? responseCacheKey(hook.name, rawBody)
          : undefined;
      const cached = key === undefined ? undefined : responseCache?.get(key);
      if (cached) {
        hit = true;
        metrics.cacheHits.inc({ hook: hook.name });
        send(ctx, cached);
        return;
      }
      const body: unknown = (ctx.request as { body?: unknown }).body;
      const deep = tooDeepAt(body);
      if (deep !== undefined) {
        reason = 'invalid-request';
        sendError(ctx, 400, {
          error: `invalid ${hook.name} request`,
          problems: [
            {
              path: pointerToPath(deep),
              message: `nests more than ${MAX_NESTING_DEPTH} levels deep`,
            },
          ],
        });
        return;
      }
      if (!validateRequest(body)) {
        reason = 'invalid-request';
        const problems = problemsFromAjv(validateRequest.errors);
        sendError(ctx, 400, { error: `invalid ${hook.name} request`, problems });
        return;
      }
      const answer = JSON.stringify(hook.handle(body as never, hookContext));
      const computed = { body: answer, etag: etagOf(answer) };
      if (key !== undefined) responseCache?.set(key, computed);
      send(ctx, computed);
    } catch (err) {
      reason = 'exception';
      throw err;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const code = reason === 'exception' ? 500 : ctx.status;
      metrics.hookCalls.inc({ hook: hook.name, code: String(code) });
      metrics.hookDuration.observe({ hook: hook.name }, seconds);
      if (reason !== 'ok') metrics.hookErrors.inc({ hook: hook.name, reason });
      logger.info(
        {
          hook: hook.name,
          ...identityOf((ctx.request as { body?: unknown }).body),
          status: code,
          reason,
          ...(hit && { cache: 'hit' }),
          durationMs: Math.round(seconds * 1e6) / 1e3,
        },
        'hook call',
      );
    }
  };
}
