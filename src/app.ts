// The webhook service as a value: createApp(deps) builds the Koa app, and only server.ts listens.
// Koa stays a thin shell: routing, body limits, probes, metrics and logs around the pure hooks.
import { readFileSync } from 'node:fs';
import Router from '@koa/router';
import Koa from 'koa';
import { ConfigError, configFromEnv, type ServiceConfig } from './config.js';
import { hookContextFromConfig } from './hooks/hook-context.js';
import { HOOKS } from './hooks/hook-definitions.js';
import { bearerAuth } from './http/bearer-auth.js';
import { jsonErrors } from './http/errors.js';
import { inflightLimit } from './http/inflight-limit.js';
import { hookEndpoint } from './http/hook-endpoint.js';
import { requireOneHost } from './http/host-header.js';
import { closeUninvitedBodies, readJsonBody } from './http/json-body.js';
import { ResponseCache } from './http/response-cache.js';
import { writeDeadline } from './http/write-deadline.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { createMetrics, type Metrics } from './telemetry/metrics.js';
import { requestProblems } from './validation/request-problems.js';
import { createSchemaRegistry } from './validation/schema-registry.js';

export interface AppDeps {
  config: ServiceConfig;
  logger: Logger;
  metrics: Metrics;
  /** The only clock the hooks may read (see status/transition-time.ts). */
  now: () => Date;
  /** Bearer token hook calls must present; none means hooks are open (NetworkPolicy guards them). */
  authToken: string | undefined;
}

/** Shared state the shell needs: whether the process is shutting down. */
export interface AppState {
  draining: boolean;
}

export type PylambdaApp = Koa & { pylambda: AppState };

export function defaultDeps(overrides: Partial<AppDeps> = {}): AppDeps {
  const config = overrides.config ?? configFromEnv();
  return {
    config,
    logger: overrides.logger ?? createLogger(config.logLevel),
    metrics: overrides.metrics ?? createMetrics(),
    now: overrides.now ?? (() => new Date()),
    authToken: 'authToken' in overrides ? overrides.authToken : readToken(config.authTokenFile),
  };
}

function readToken(file: string | undefined): string | undefined {
  if (!file) return undefined;
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`PYLAMBDA_AUTH_TOKEN_FILE=${file}: ${(err as Error).message}`);
  }
  if (!token) throw new ConfigError(`PYLAMBDA_AUTH_TOKEN_FILE=${file} is empty`);
  return token;
}

export function createApp(overrides: Partial<AppDeps> = {}): PylambdaApp {
  const deps = defaultDeps(overrides);
  const { config, logger, metrics } = deps;
  const requests = {
    firstError: createSchemaRegistry({ allErrors: false }),
    allErrors: createSchemaRegistry(),
  };
  const hookContext = hookContextFromConfig(config, deps.now);

  const app = new Koa() as PylambdaApp;
  app.pylambda = { draining: false };
  app.proxy = false;
  app.silent = true; // errors are logged by jsonErrors, once, as JSON
  app.use(
    writeDeadline(config.writeTimeoutMs, (ctx) =>
      logger.warn(
        { path: ctx.path, status: ctx.status, timeoutMs: config.writeTimeoutMs },
        'answer not taken by the client within PYLAMBDA_WRITE_TIMEOUT_MS; connection closed',
      ),
    ),
  );
  // Outermost but for the write deadline, so that it sees the answer jsonErrors makes of an error.
  app.use(closeUninvitedBodies);
  app.use(jsonErrors(logger));
  app.use(requireOneHost);
  // While draining, tell keep-alive clients to reconnect (to another replica) after this answer.
  app.use(async (ctx, next) => {
    if (app.pylambda.draining) ctx.set('Connection', 'close');
    await next();
  });

  const router = new Router();
  const limit = inflightLimit(config.maxInflight, config.retryAfterSeconds, metrics);
  // Order matters: refuse unauthenticated and excess calls before reading their bodies.
  const guards = (hook: string) =>
    deps.authToken
      ? [bearerAuth(deps.authToken), limit.middleware(hook)]
      : [limit.middleware(hook)];
  // One cache for all hooks (the key includes the hook), so the byte bound is the process's.
  const responseCache =
    config.responseCacheBytes > 0 ? new ResponseCache(config.responseCacheBytes) : undefined;
  const readBody = readJsonBody({
    limitBytes: config.bodyLimitBytes,
    timeoutMs: config.bodyReadTimeoutMs,
    maxValues: config.maxJsonValues,
    likelyAnswered: responseCache && ((bytes) => responseCache.requestLengthHeld(bytes)),
  });
  for (const hook of HOOKS) {
    const problemsOf = requestProblems(requests, hook.requestSchema);
    router.post(
      hook.path,
      ...guards(hook.name),
      readBody,
      hookEndpoint({
        hook,
        problemsOf,
        hookContext,
        logger,
        metrics,
        responseCache,
        maxJsonValues: config.maxJsonValues,
      }),
    );
  }
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', (ctx) => {
    ctx.status = app.pylambda.draining ? 503 : 200;
    ctx.body = { status: app.pylambda.draining ? 'shutting down' : 'ok' };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });
  // Unknown routes and methods get JSON errors too; allowedMethods fills in 405 and Allow.
  app.use(async (ctx, next) => {
    await next();
    if (ctx.body !== undefined && ctx.body !== null) return;
    if (ctx.status === 405) {
      ctx.body = {
        error: `${ctx.method} is not allowed on ${ctx.path}; use ${ctx.response.get('Allow')}`,
      };
    } else if (ctx.status === 404) {
      ctx.body = { error: `no route for ${ctx.method} ${ctx.path}` };
      ctx.status = 404; // setting a body defaults the status to 200
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
