// One hook as a Koa handler: check the body against its schema, call the pure hook, answer JSON,
// and leave one log line and the metrics behind. All decisions live in the hook itself.
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

export interface HookEndpointDeps {
  hook: HookDefinition;
  validateRequest: ValidateFunction;
  hookContext: HookContext;
  logger: Logger;
  metrics: Metrics;
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
}: HookEndpointDeps) {
  return async function hookHandler(ctx: Context): Promise<void> {
    const started = process.hrtime.bigint();
    let reason = 'ok';
    try {
      if (!isJson(ctx)) {
        reason = 'unsupported-media-type';
        sendError(ctx, 415, {
          error: `Content-Type must be application/json, got ${JSON.stringify(ctx.get('content-type'))}`,
        });
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
      const etag = etagOf(answer);
      ctx.set('ETag', etag);
      if (ifNoneMatchHits(ctx.get('if-none-match'), etag)) {
        metrics.notModified.inc({ hook: hook.name });
        ctx.status = 304;
        return;
      }
      ctx.type = 'application/json';
      ctx.body = answer;
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
          durationMs: Math.round(seconds * 1e6) / 1e3,
        },
        'hook call',
      );
    }
  };
}
