// Part 1: the hook service against the ceiling (bare node:http) and the peer (Python
// http.server, as Metacontroller's examples write hooks), on three requests. Each server and the
// load generator are separate processes; runs alternate between servers so that noise on a
// shared machine spreads over all of them, and the median of the runs is reported.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildCases, type BenchCase } from './lib/fixtures.js';
import { request } from './lib/http.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { formatNumber, progress } from './lib/log.js';
import { load, machine } from './lib/machine.js';
import { CACHE, pythonExecutable, ROOT, SERVER_ENTRY } from './lib/paths.js';
import { startCeiling } from './lib/ceiling.js';
import { cpuSeconds, freePort, startServer, type RunningServer } from './lib/processes.js';
import {
  updateResults,
  type CaseResult,
  type RunNumbers,
  type ServerCaseResult,
} from './lib/results.js';
import { benchSettings } from './lib/settings.js';
import { median } from './lib/stats.js';

/** As `make deploy` runs it: server-side apply, so the 900 KiB request is rendered, not refused. */
const APPLY_STRATEGY = 'server-side-apply';

export const SERVER_DESCRIPTIONS: Record<string, string> = {
  ours: 'node dist/src/server.js (Koa, ajv validation, pino logs at the default level to a file, prom-client metrics, the response cache on as by default)',
  ceiling:
    'bench/ceiling-server.js: bare node:http, reads the body, JSON.parse, sends a precomputed answer',
  'ours-uncached':
    'the same service with PYLAMBDA_RESPONSE_CACHE_BYTES=0: every call is parsed, validated and rendered (a burst of new or changed objects)',
  peer: 'bench/peer/hook_server.py: Python http.server + json, as Metacontroller examples write hooks (threaded, keep-alive)',
};

function numbers(result: LoadResult, cpuSeconds: number | undefined): RunNumbers {
  return {
    requestsPerSecond: Math.round(result.requestsPerSecond * 10) / 10,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    ...(cpuSeconds === undefined || result.requests === 0
      ? {}
      : { cpuUsPerRequest: Math.round((cpuSeconds * 1e6) / result.requests) }),
  };
}

function describe(n: RunNumbers): string {
  const failures = n.non2xx + n.errors ? `, ${n.non2xx} non-2xx, ${n.errors} errors` : '';
  const cpu =
    n.cpuUsPerRequest === undefined ? '' : `, ${formatNumber(n.cpuUsPerRequest)} µs CPU/req`;
  return `${formatNumber(n.requestsPerSecond)} req/s, p50 ${n.p50Ms} ms, p99 ${n.p99Ms} ms${cpu}${failures}`;
}

/** Our service from `entry` (a built server.js), as the README starts it. */
export async function startOurs(
  name: string,
  entry: string,
  logs: string,
  extraArgs: string[] = [],
  extraEnv: Record<string, string> = {},
) {
  const port = await freePort();
  return startServer({
    name,
    command: process.execPath,
    args: [...extraArgs, entry],
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      PYLAMBDA_APPLY_STRATEGY: APPLY_STRATEGY,
      ...extraEnv,
    },
    logFile: join(logs, `${name}.log`),
    port,
    readyPath: '/readyz',
    cwd: ROOT,
  });
}

/** BENCH_BEFORE_ENTRY: another build of the service (say, before a fix) run beside ours. */
function beforeEntry(): string | undefined {
  const entry = process.env.BENCH_BEFORE_ENTRY;
  if (!entry) return undefined;
  if (!existsSync(entry)) throw new Error(`BENCH_BEFORE_ENTRY=${entry} does not exist`);
  return entry;
}

export async function startHookServers(logs: string, responses: string) {
  const ours = await startOurs('ours', SERVER_ENTRY, logs);
  return {
    ours,
    async others(): Promise<RunningServer[]> {
      const before = beforeEntry();
      const extra = before ? [await startOurs('before', before, logs)] : [];
      // The response cache answers the benchmark's repeated request from memory after the
      // first call; this one shows what every call costs when each request is new.
      const uncached = await startOurs('ours-uncached', SERVER_ENTRY, logs, [], {
        PYLAMBDA_RESPONSE_CACHE_BYTES: '0',
      });
      const ceiling = await startCeiling(responses, logs);
      const peerPort = await freePort();
      const peer = await startServer({
        name: 'peer',
        command: await pythonExecutable(),
        args: [join(ROOT, 'bench', 'peer', 'hook_server.py')],
        env: { PORT: String(peerPort) },
        logFile: join(logs, 'peer.log'),
        port: peerPort,
        readyPath: '/',
      });
      return [uncached, ceiling, peer, ...extra];
    },
  };
}

/** Writes each case's body, and our answer to it (the ceiling's precomputed response). */
export async function prepareCases(ours: RunningServer, dir: string) {
  const requests = join(dir, 'requests');
  const responses = join(dir, 'responses');
  mkdirSync(requests, { recursive: true });
  mkdirSync(responses, { recursive: true });
  const cases = await buildCases(ours.baseUrl);
  for (const c of cases) {
    writeFileSync(join(requests, `${c.name}.json`), c.body);
    const reply = await request('POST', ours.baseUrl + c.path, c.body);
    if (reply.status !== 200) throw new Error(`ours answered ${c.name} with ${reply.status}`);
    writeFileSync(join(responses, `${c.name}.json`), reply.body);
  }
  return { cases, requests, responses };
}

type ChildMap = Record<string, Record<string, unknown>>;

/** One request per server and case: 200 and the expected children, before any load. */
async function check(server: RunningServer, c: BenchCase): Promise<number> {
  const reply = await request('POST', server.baseUrl + c.path, c.body, 30_000);
  if (reply.status !== 200) {
    throw new Error(
      `${server.name} answered ${c.name} with ${reply.status}: ${reply.body.slice(0, 300)}`,
    );
  }
  const body = JSON.parse(reply.body) as { children?: unknown[]; attachments?: unknown[] };
  const objects = (body.children ?? body.attachments ?? []).length;
  // The request carries, fed back, the children our service rendered when the cases were built.
  const sent = JSON.parse(c.body) as { children?: ChildMap; attachments?: ChildMap };
  const ours = Object.values(sent.children ?? sent.attachments ?? {}).reduce(
    (n, group) => n + Object.keys(group).length,
    0,
  );
  // The peer renders the ConfigMap, Deployment and Service only (no autoscaler or disruption
  // budget): less work than ours, a difference in its favour.
  const expected = server.name === 'peer' ? (c.name === 'decorator' ? 2 : 3) : ours;
  if (objects !== expected) {
    throw new Error(`${server.name} answered ${c.name} with ${objects} objects, not ${expected}`);
  }
  return Buffer.byteLength(reply.body);
}

export async function runHooks(): Promise<void> {
  const settings = benchSettings();
  const loadBefore = load();
  progress(
    `hooks: load average ${loadBefore.join(' ')}; ${settings.runs} runs of ${settings.durationSeconds} s per server and case, ${settings.connections} connections`,
  );
  const logs = join(CACHE, 'logs');
  mkdirSync(logs, { recursive: true });
  const started = await startHookServers(logs, join(CACHE, 'responses'));
  const servers: RunningServer[] = [started.ours];
  try {
    progress('hooks: building the requests through our service');
    const { cases, requests } = await prepareCases(started.ours, CACHE);
    servers.push(...(await started.others()));
    const results: CaseResult[] = [];
    for (const c of cases) {
      progress(`hooks: ${c.name}: ${c.title}, ${formatNumber(Buffer.byteLength(c.body))} bytes`);
      const perServer: ServerCaseResult[] = [];
      for (const server of servers) {
        perServer.push({
          server: server.name,
          max: [],
          halfRate: 0,
          half: [],
          responseBytes: await check(server, c),
        });
      }
      results.push({
        name: c.name,
        title: c.title,
        requestBytes: Buffer.byteLength(c.body),
        servers: perServer,
      });
    }
    const loadOf = (server: RunningServer, c: BenchCase, seconds: number, rate?: number) =>
      runLoad({
        url: server.baseUrl + c.path,
        bodyFile: join(requests, `${c.name}.json`),
        connections: settings.connections,
        durationSeconds: seconds,
        rate,
        // A bound on the count as well as the time: far above what any server here reaches.
        maxRequests: Math.ceil(seconds * 50_000),
      });

    progress(`hooks: warming up every server on every request (${settings.warmupSeconds} s each)`);
    for (const c of cases) {
      for (const server of servers) await loadOf(server, c, settings.warmupSeconds);
    }

    // Maximum rate: round-robin over servers (the order rotates each round), then the half rate.
    for (const phase of ['max', 'half'] as const) {
      for (let run = 0; run < settings.runs; run += 1) {
        for (const [ci, c] of cases.entries()) {
          const result = results[ci]!;
          const order = servers.map((_, i) => servers[(i + run) % servers.length]!);
          for (const server of order) {
            const entry = result.servers.find((s) => s.server === server.name)!;
            if (phase === 'half' && entry.halfRate === 0) {
              entry.halfRate = Math.max(
                1,
                Math.round(median(entry.max.map((m) => m.requestsPerSecond)) / 2),
              );
            }
            const rate = phase === 'half' ? entry.halfRate : undefined;
            const cpuBefore = cpuSeconds(server.pid);
            const measured = await loadOf(server, c, settings.durationSeconds, rate);
            const cpuAfter = cpuSeconds(server.pid);
            const cpu =
              cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
            const n = numbers(measured, cpu);
            entry[phase].push(n);
            const label = phase === 'max' ? 'max rate' : `at ${formatNumber(entry.halfRate)} req/s`;
            progress(
              `hooks: ${phase} run ${run + 1}/${settings.runs} ${c.name} ${server.name} ${label}: ${describe(n)}`,
            );
          }
        }
      }
    }
    const info = await machine(loadBefore);
    updateResults((all) => {
      all.hooks = {
        machine: info,
        settings: {
          connections: settings.connections,
          durationSeconds: settings.durationSeconds,
          runs: settings.runs,
          warmupSeconds: settings.warmupSeconds,
        },
        servers: {
          ...SERVER_DESCRIPTIONS,
          ...(beforeEntry()
            ? {
                before: `${process.env.BENCH_BEFORE_LABEL || 'an earlier build'} (node ${relative(ROOT, beforeEntry()!)}, same settings as ours)`,
              }
            : {}),
        },
        cases: results,
      };
    });
    progress(`hooks: done; load average now ${info.loadAfter.join(' ')}`);
  } finally {
    for (const server of servers) await server.stop();
  }
}
