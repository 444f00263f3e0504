// One hook as a Koa handler: parse the body, check it against its schema, call the pure hook,
// answer JSON, and leave one log line and the metrics behind. All decisions live in the hook.
// A request whose exact bytes were answered 200 before gets that answer again from the cache,
// without being parsed.
import type { Context } from 'koa';
import type { HookContext } from '../hooks/hook-context.js';
import type { HookDefinition } from '../hooks/hook-definitions.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { MAX_NESTING_DEPTH, tooDeepAt } from '../validation/depth.js';
import { pointerToPath, type Problem } from '../validation/problems.js';
import { identityOf, type CallIdentity } from './call-identity.js';
import { sendError } from './errors.js';
import { etagOf, ifNoneMatchHits } from './etag.js';
import { bodyReadOf, InvalidJsonError, parseJsonBody } from './json-body.js';
import { TooManyValuesError } from './value-bound.js';
import {
  responseCacheKey,
  type CachedAnswer,
  type ResponseCache,
  standaloneBytes,
} from './response-cache.js';

export interface HookEndpointDeps {
  hook: HookDefinition;
  /** What is wrong with a request (validation/request-problems.ts); undefined if nothing. */
  problemsOf: (body: unknown, bytes: number) => Problem[] | undefined;
  hookContext: HookContext;
  logger: Logger;
  metrics: Metrics;
  /** Absent when PYLAMBDA_RESPONSE_CACHE_BYTES is 0. */
  responseCache?: ResponseCache;
  /** PYLAMBDA_MAX_JSON_VALUES, for a body readJsonBody did not count as it arrived. */
  maxJsonValues: number;
}

export function hookEndpoint({
  hook,
  problemsOf,
  hookContext,
  logger,
  metrics,
  responseCache,
  maxJsonValues,
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
    let identity: CallIdentity = {};
    // Past PYLAMBDA_MAX_JSON_VALUES as the body arrived, or counted before the parse.
    const refuseTooMany = (err: TooManyValuesError) => {
      reason = 'too-many-values';
      sendError(ctx, 413, { error: err.message });
    };
    try {
      const read = bodyReadOf(ctx);
      if (read === undefined) {
        reason = 'unsupported-media-type';
        sendError(ctx, 415, {
          error: `Content-Type must be application/json, got ${JSON.stringify(ctx.get('content-type'))}`,
        });
        return;
      }
      if ('tooManyValues' in read) {
        refuseTooMany(read.tooManyValues);
        return;
      }
      const { raw, counted } = read;
      // Only 200 answers are stored, so an invalid request never hits and is refused every time.
      const key = responseCache ? responseCacheKey(hook.name, raw) : undefined;
      const cached = key === undefined ? undefined : responseCache?.get(key);
      if (cached) {
        hit = true;
        identity = cached.identity;
        metrics.cacheHits.inc({ hook: hook.name });
        send(ctx, cached);
        return;
      }
      let body: unknown;
      try {
        body = parseJsonBody(raw, counted ? undefined : maxJsonValues);
      } catch (err) {
        if (err instanceof TooManyValuesError) {
          refuseTooMany(err);
          return;
        }
        if (!(err instanceof InvalidJsonError)) throw err;
        reason = 'invalid-json';
        sendError(ctx, 400, { error: `request body is not valid JSON: ${err.message}` });
        return;
      }
      identity = identityOf(body);
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
      const problems = problemsOf(body, raw.length);
      if (problems) {
        reason = 'invalid-request';
        sendError(ctx, 400, { error: `invalid ${hook.name} request`, problems });
        return;
      }
      // An answer the clock alone would change later is not one to give again from the cache.
      let changesWithClock = false;
      const callContext: HookContext = {
        ...hookContext,
        answerChangesAt: () => {
          changesWithClock = true;
        },
      };
      const answer = JSON.stringify(hook.handle(body as never, callContext));
      const computed = {
        body: standaloneBytes(answer),
        etag: etagOf(answer),
        identity,
        requestBytes: raw.length,
      };
      if (key !== undefined && !changesWithClock) responseCache?.set(key, computed);
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
          ...identity,
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
