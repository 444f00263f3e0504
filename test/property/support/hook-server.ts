// The webhook app from createApp(), served on 127.0.0.1 and called over one keep-alive agent:
// the real HTTP path (body parsing, limits, headers) at thousands of calls a second.
import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp, type AppDeps } from '../../../src/app.js';
import { configFromEnv } from '../../../src/config.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { countCalls, tallyLine } from './budget.js';

/** Small enough that "too large" bodies are cheap to send, large enough for 1 MiB of code. */
export const PROPERTY_BODY_LIMIT = 3 * 1024 * 1024;
/**
 * Far below the default, so that which specs are too large does not depend on how the limit
 * counts (code, files, requirements; the runtime and keys or not): well under it is rendered,
 * well over it is CodeTooLarge.
 */
export const PROPERTY_MAX_CODE_BYTES = 100_000;
/** The only clock the hooks may read; it shows up only when a request carries no time at all. */
export const FIXED_NOW = new Date('2031-03-04T05:06:07Z');

export interface HookReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
}

export interface HookServer {
  url: string;
  call(path: string, body: string | Buffer | undefined, options?: CallOptions): Promise<HookReply>;
  /** HTTP calls made through this server so far. */
  calls(): number;
  close(): Promise<void>;
}

export async function startHookServer(
  env: NodeJS.ProcessEnv = {},
  overrides: Partial<AppDeps> = {},
): Promise<HookServer> {
  const app = createApp({
    config: configFromEnv({
      PYLAMBDA_BODY_LIMIT_BYTES: String(PROPERTY_BODY_LIMIT),
      PYLAMBDA_MAX_CODE_BYTES: String(PROPERTY_MAX_CODE_BYTES),
      ...env,
    }),
    logger: pino({ level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
    now: () => FIXED_NOW,
    authToken: undefined,
    ...overrides,
  });
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let count = 0;

  function call(
    path: string,
    body: string | Buffer | undefined,
    options: CallOptions = {},
  ): Promise<HookReply> {
    count += 1;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...options.headers,
      };
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const req = request(
        { host: '127.0.0.1', port, path, method: options.method ?? 'POST', agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error(`no answer within 10 s on ${path}`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    url: `http://127.0.0.1:${port}`,
    call,
    calls: () => count,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A hook server for the enclosing `describe`: started before its tests, closed after them with
 * its HTTP calls counted and the tally so far printed. The returned server forwards to it.
 */
export function useHookServer(): HookServer {
  let server: HookServer | undefined;
  const live = (): HookServer => {
    if (!server) throw new Error('the hook server runs only inside the suite');
    return server;
  };

  before(async () => {
    server = await startHookServer();
  });

  after(async () => {
    const started = live();
    server = undefined;
    countCalls(started.calls());
    await started.close();
    console.log(`      tally so far: ${tallyLine()}`);
  });

  return {
    get url() {
      return live().url;
    },
    call: (path, body, options) => live().call(path, body, options),
    calls: () => live().calls(),
    close: () => live().close(),
  };
}
