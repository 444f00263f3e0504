// A minimal Kubernetes API client for the scale benchmark: the e2e kubeconfig (client
// certificates), JSON requests, watches, and client-go's token-bucket rate limit, so the floor
// uses the same client settings as Metacontroller. No library: the benchmark needs four calls.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';

export interface KubeReply<T = unknown> {
  status: number;
  body: T;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeItem;
}

export interface KubeItem {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    generation?: number;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
    deletionTimestamp?: string;
  };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] };
  [field: string]: unknown;
}

interface KubeConfigFile {
  'current-context'?: string;
  contexts: { name: string; context: { cluster: string; user: string } }[];
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

/** Attempts at a call the API server answers 429, each after its Retry-After (at most 5 s). */
const MAX_ATTEMPTS = 30;

function retryAfterMs(header: string | string[] | undefined): number {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 5) * 1000 : 1000;
}

/** client-go's flowcontrol token bucket: `qps` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(
    private readonly qps: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  async take(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.qps) * 1000));
    }
  }
}

export class Kube {
  private readonly server: URL;
  private readonly agent: Agent;

  constructor(kubeconfigPath: string, maxSockets = 64) {
    const config = parse(readFileSync(kubeconfigPath, 'utf8')) as KubeConfigFile;
    const context =
      config.contexts.find((c) => c.name === config['current-context']) ?? config.contexts[0];
    const cluster = config.clusters.find((c) => c.name === context?.context.cluster)?.cluster;
    const user = config.users.find((u) => u.name === context?.context.user)?.user;
    if (!cluster || !user) throw new Error(`${kubeconfigPath}: no cluster or user for its context`);
    const decode = (data: string) => Buffer.from(data, 'base64');
    this.server = new URL(cluster.server);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(this.server.hostname)) {
      throw new Error(`refusing to load ${cluster.server}: the benchmark only talks to loopback`);
    }
    this.agent = new Agent({
      keepAlive: true,
      maxSockets,
      ca: decode(cluster['certificate-authority-data']),
      cert: decode(user['client-certificate-data']),
      key: decode(user['client-key-data']),
    });
  }

  /**
   * One call; a 429 (the API server's priority and fairness, busy or just started) is retried
   * after its Retry-After, a bounded number of times, as client-go does.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs = 60_000,
  ): Promise<KubeReply<T>> {
    for (let attempt = 1; ; attempt += 1) {
      const reply = await this.once<T>(method, path, body, contentType, timeoutMs);
      if (reply.status !== 429 || attempt >= MAX_ATTEMPTS) return reply;
      await sleep(retryAfterMs(reply.retryAfter));
    }
  }

  private once<T>(
    method: string,
    path: string,
    body: unknown,
    contentType: string,
    timeoutMs: number,
  ): Promise<KubeReply<T> & { retryAfter?: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.server),
        {
          method,
          agent: this.agent,
          timeout: timeoutMs,
          headers: {
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': contentType }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            resolve({
              status: res.statusCode ?? 0,
              body: parsed as T,
              retryAfter: res.headers['retry-after'],
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** `request`, failing unless the status is 2xx. */
  async must<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<T> {
    const reply = await this.request<T>(method, path, body, contentType);
    if (reply.status < 200 || reply.status > 299) {
      throw new Error(
        `${method} ${path}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 400)}`,
      );
    }
    return reply.body;
  }

  /**
   * Watch `path` (a collection) from now on. Resolves once the API server accepted the watch
   * (a 429 is retried after its Retry-After), with a function that stops it.
   */
  async watch(
    path: string,
    onEvent: (event: WatchEvent) => void,
    onError: (err: Error) => void,
  ): Promise<() => void> {
    for (let attempt = 1; ; attempt += 1) {
      const started = await this.watchOnce(path, onEvent, onError);
      if ('stop' in started) return started.stop;
      if (attempt >= MAX_ATTEMPTS) throw new Error(`watch ${path}: ${started.status}`);
      await sleep(retryAfterMs(started.retryAfter));
    }
  }

  private watchOnce(
    path: string,
    onEvent: (event: WatchEvent) => void,
    onError: (err: Error) => void,
  ): Promise<{ stop: () => void } | { status: number; retryAfter?: string }> {
    const separator = path.includes('?') ? '&' : '?';
    let stopped = false;
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(`${path}${separator}watch=true&timeoutSeconds=3600`, this.server),
        { method: 'GET', agent: this.agent, headers: { accept: 'application/json' } },
        (res) => {
          if (res.statusCode === 429) {
            res.resume();
            resolve({ status: 429, retryAfter: res.headers['retry-after'] });
            return;
          }
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`watch ${path}: ${res.statusCode}`));
            return;
          }
          resolve({
            stop: () => {
              stopped = true;
              req.destroy();
            },
          });
          let buffered = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffered += chunk;
            let newline = buffered.indexOf('\n');
            while (newline >= 0) {
              const line = buffered.slice(0, newline);
              buffered = buffered.slice(newline + 1);
              if (line.trim()) onEvent(JSON.parse(line) as WatchEvent);
              newline = buffered.indexOf('\n');
            }
          });
          res.on('error', (err) => {
            if (!stopped) onError(err);
          });
        },
      );
      req.on('error', (err) => {
        reject(err);
        if (!stopped) onError(err);
      });
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Run `task` over `items` with at most `concurrency` in flight. */
export async function inPool<T>(
  items: T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
