// An HTTP(S) client that says exactly how a call ended: a full response, a connection refused
// before anything was sent, or a failure after the request went out (reset, hang-up, a response
// cut short). Bodies can be sent slowly, in chunks, so that calls overlap.
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';

export type Outcome =
  | {
      kind: 'response';
      status: number;
      headers: IncomingHttpHeaders;
      text: string;
      /** Whether the response came on a kept-alive connection. */
      reused: boolean;
      startedAt: number;
      endedAt: number;
    }
  | {
      kind: 'error';
      code: string;
      /** connect: nothing was sent; request: sent, no answer yet; response: answer cut short. */
      phase: 'connect' | 'request' | 'response';
      message: string;
      reused: boolean;
      startedAt: number;
      endedAt: number;
    };

export interface CallOptions {
  port: number;
  path: string;
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  agent?: Agent | HttpsAgent | false;
  /** `servername`: the host name the certificate must be valid for (default localhost). */
  https?: { ca?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** Send the body in this many chunks, `chunkDelayMs` apart. */
  chunks?: number;
  chunkDelayMs?: number;
  /** Metacontroller's hook timeout is 10 s. */
  timeoutMs?: number;
}

/** Unref'd: a body left unsent (the call already failed) must not keep the test process alive. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export function call(options: CallOptions): Promise<Outcome> {
  const startedAt = Date.now();
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (body) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(body.length);
  }
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let responded = false;
    const settle = (outcome: Outcome) => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    const fail = (err: NodeJS.ErrnoException) =>
      settle({
        kind: 'error',
        code: err.code ?? err.message,
        phase: responded ? 'response' : connected || req.reusedSocket ? 'request' : 'connect',
        message: err.message,
        reused: req.reusedSocket,
        startedAt,
        endedAt: Date.now(),
      });
    const requestOptions = {
      host: '127.0.0.1',
      port: options.port,
      path: options.path,
      method: options.method ?? (body ? 'POST' : 'GET'),
      headers,
      agent: options.agent,
      ...(options.https
        ? {
            ca: options.https.ca,
            rejectUnauthorized: options.https.rejectUnauthorized ?? true,
            servername: options.https.servername ?? 'localhost',
          }
        : {}),
    };
    const req = (options.https ? httpsRequest : httpRequest)(requestOptions, (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('aborted', () =>
        fail(Object.assign(new Error('response aborted'), { code: 'ABORTED' })),
      );
      res.on('error', fail);
      res.on('end', () => {
        if (!res.complete) {
          fail(Object.assign(new Error('response ended early'), { code: 'INCOMPLETE' }));
          return;
        }
        settle({
          kind: 'response',
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
          reused: req.reusedSocket,
          startedAt,
          endedAt: Date.now(),
        });
      });
    });
    req.on('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => (connected = true));
      else connected = true;
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })),
    );
    req.on('error', fail);
    void (async () => {
      const pieces = body && options.chunks && options.chunks > 1 ? options.chunks : 1;
      if (!body) {
        req.end();
        return;
      }
      const size = Math.ceil(body.length / pieces);
      for (let i = 0; i < pieces; i += 1) {
        if (settled || req.destroyed) return;
        req.write(body.subarray(i * size, (i + 1) * size));
        // Once answered (a 429 before the body is read), send the rest at once.
        if (i < pieces - 1 && !responded) await sleep(options.chunkDelayMs ?? 0);
      }
      req.end();
    })();
  });
}

export function describeOutcome(outcome: Outcome): string {
  return outcome.kind === 'response'
    ? `${outcome.status} ${outcome.text.slice(0, 200)}`
    : `${outcome.code} in ${outcome.phase} (${outcome.message})`;
}
