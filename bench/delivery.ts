// Part 5: the runtime ships once (the runtime image), before and after. Byte counts (sizes.ts)
// and throughput on requests that all differ, so that no response cache answers any of them:
// ours on requests of today's shape, the earlier build (BENCH_BEFORE_ENTRY) on requests its own
// release rendered, each against the ceiling on the same requests. With BENCH_KOA_ENTRY (a
// build with koa-bodyparser swapped in, bench/variants/koa-bodyparser.sh) it also compares body
// readers on the cache-hit path (a repeated request) and the miss path. With BENCH_FLOOR_ENTRY (a
// build whose hooks answer every request with their first answer, bench/variants/shell-floor.sh)
// it measures the shell alone on the same distinct requests: the most a hook that cost nothing
// would reach.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { PROBE_DEADLINE_MS, probeBodyBound, type BodyBound } from './body-bound.js';
import { startOurs } from './hooks.js';
import { buildCases, distinctBody, type BenchCase } from './lib/fixtures.js';
import { request } from './lib/http.js';
import { runLoad } from './lib/load.js';
import { formatNumber, progress } from './lib/log.js';
import { load, machine } from './lib/machine.js';
import { CACHE, ROOT, SERVER_ENTRY } from './lib/paths.js';
import { startCeiling } from './lib/ceiling.js';
import { cpuSeconds, type RunningServer } from './lib/processes.js';
import { updateResults, type DeliveryLoad, type RunNumbers } from './lib/results.js';
import { benchSettings } from './lib/settings.js';
import { releaseSizes, type ReleaseSizes } from './sizes.js';

const CASES = ['realistic', 'decorator'] as const;

interface Release {
  label: 'after' | 'before';
  server: RunningServer;
  cases: BenchCase[];
  /** The ceiling's name for each case, `?case=` in the path. */
  ceilingCase: (name: string) => string;
}

function entry(variable: string): string | undefined {
  const value = process.env[variable];
  if (!value) return undefined;
  if (!existsSync(value)) throw new Error(`${variable}=${value} does not exist`);
  return resolve(value);
}

/** The tree an entry <tree>/dist/src/server.js was built from, if it holds the samples. */
function treeOf(serverEntry: string): string {
  const tree = dirname(dirname(dirname(serverEntry)));
  return existsSync(join(tree, 'config', 'samples')) ? tree : ROOT;
}

/** A case's requests, written for autocannon: the body as built, and the one that always differs. */
function writeBodies(dir: string, c: BenchCase, prefix: string) {
  const repeated = join(dir, `${prefix}${c.name}.json`);
  const distinct = join(dir, `${prefix}${c.name}-distinct.json`);
  writeFileSync(repeated, c.body);
  writeFileSync(distinct, distinctBody(c));
  return { repeated, distinct };
}

async function answer(server: RunningServer, path: string, body: string): Promise<string> {
  const reply = await request('POST', server.baseUrl + path, body, 30_000);
  if (reply.status !== 200) {
    throw new Error(
      `${server.name} answered ${path} with ${reply.status}: ${reply.body.slice(0, 300)}`,
    );
  }
  return reply.body;
}

/** Builds a release's cases through its own service; the ceiling sends that service's answers. */
async function prepare(release: Release, responses: string, requests: string) {
  const answers: Record<string, string> = {};
  const files: Record<string, { repeated: string; distinct: string }> = {};
  for (const c of release.cases) {
    answers[c.name] = await answer(release.server, c.path, c.body);
    writeFileSync(join(responses, `${release.ceilingCase(c.name)}.json`), answers[c.name]!);
    files[c.name] = writeBodies(requests, c, release.label === 'after' ? '' : 'before-');
    // A distinct request must be answered as the plain one is, only never from the cache.
    const once = distinctBody(c).replace('[<id>]', 'check');
    await answer(release.server, c.path, once);
  }
  return { sizes: releaseSizes(release.cases, answers), files };
}

interface Planned extends Omit<DeliveryLoad, 'runs'> {
  target: RunningServer;
  url: string;
  bodyFile: string;
  runs: RunNumbers[];
}

export async function runDelivery(): Promise<void> {
  const settings = benchSettings();
  const loadBefore = load();
  const beforeEntry = entry('BENCH_BEFORE_ENTRY');
  const koaEntry = entry('BENCH_KOA_ENTRY');
  const floorEntry = entry('BENCH_FLOOR_ENTRY');
  progress(
    `delivery: load average ${loadBefore.join(' ')}; ${settings.runs} runs of ${settings.durationSeconds} s; ` +
      `before: ${beforeEntry ?? 'not given (BENCH_BEFORE_ENTRY)'}; koa-bodyparser: ${koaEntry ?? 'not given (BENCH_KOA_ENTRY)'}; ` +
      `shell floor: ${floorEntry ?? 'not given (BENCH_FLOOR_ENTRY)'}`,
  );
  const dir = join(CACHE, 'delivery');
  const logs = join(CACHE, 'logs');
  const responses = join(dir, 'responses');
  const requests = join(dir, 'requests');
  for (const d of [logs, responses, requests]) mkdirSync(d, { recursive: true });
  const servers: RunningServer[] = [];
  try {
    // Each service at its defaults (the response cache on): on distinct requests it misses.
    const ours = await startOurs('ours', SERVER_ENTRY, logs);
    servers.push(ours);
    const releases: Release[] = [
      {
        label: 'after',
        server: ours,
        cases: await buildCases(ours.baseUrl, ROOT, [...CASES]),
        ceilingCase: (name) => name,
      },
    ];
    if (beforeEntry) {
      const before = await startOurs('before', beforeEntry, logs);
      servers.push(before);
      // The old release's requests: its own samples and controllers, its own rendered children.
      releases.push({
        label: 'before',
        server: before,
        cases: await buildCases(before.baseUrl, treeOf(beforeEntry), [...CASES]),
        ceilingCase: (name) => `before-${name}`,
      });
    }
    const sizes: Partial<Record<'after' | 'before', ReleaseSizes>> = {};
    const files: Partial<Record<'after' | 'before', Awaited<ReturnType<typeof prepare>>['files']>> =
      {};
    for (const release of releases) {
      const prepared = await prepare(release, responses, requests);
      sizes[release.label] = prepared.sizes;
      files[release.label] = prepared.files;
    }
    const ceiling = await startCeiling(responses, logs);
    servers.push(ceiling);
    const koa = koaEntry ? await startOurs('koa-bodyparser', koaEntry, logs) : undefined;
    if (koa) servers.push(koa);
    const floor = floorEntry ? await startOurs('shell-floor', floorEntry, logs) : undefined;
    if (floor) servers.push(floor);

    const plan: Planned[] = [];
    const add = (
      target: RunningServer,
      release: Release,
      name: string,
      mode: 'distinct' | 'repeated',
    ) => {
      const c = release.cases.find((x) => x.name === name)!;
      // The ceiling sends the answer of the release whose request it gets.
      const path =
        target === ceiling ? `${c.path.split('?')[0]}?case=${release.ceilingCase(name)}` : c.path;
      plan.push({
        server: target.name,
        release: release.label,
        case: name,
        mode,
        target,
        url: target.baseUrl + path,
        bodyFile: files[release.label]![name]![mode],
        runs: [],
      });
    };
    for (const name of CASES) {
      for (const release of releases) {
        add(release.server, release, name, 'distinct');
        add(ceiling, release, name, 'distinct');
      }
      if (koa) add(koa, releases[0]!, name, 'distinct');
      if (floor) add(floor, releases[0]!, name, 'distinct');
    }
    // The resync of an unchanged object: a repeated request, answered from the cache.
    add(ours, releases[0]!, 'realistic', 'repeated');
    add(ceiling, releases[0]!, 'realistic', 'repeated');
    if (koa) add(koa, releases[0]!, 'realistic', 'repeated');

    const loadOf = (p: Planned, seconds: number) =>
      runLoad({
        url: p.url,
        bodyFile: p.bodyFile,
        connections: settings.connections,
        durationSeconds: seconds,
        maxRequests: Math.ceil(seconds * 50_000),
        distinct: p.mode === 'distinct',
      });
    progress(`delivery: warming up (${settings.warmupSeconds} s per load)`);
    for (const p of plan) await loadOf(p, settings.warmupSeconds);
    for (let run = 0; run < settings.runs; run += 1) {
      // The order rotates each run, so noise from other work spreads over every load.
      const order = plan.map((_, i) => plan[(i + run) % plan.length]!);
      for (const p of order) {
        const cpu0 = cpuSeconds(p.target.pid);
        const r = await loadOf(p, settings.durationSeconds);
        const cpu1 = cpuSeconds(p.target.pid);
        const n: RunNumbers = {
          requestsPerSecond: Math.round(r.requestsPerSecond * 10) / 10,
          p50Ms: r.p50Ms,
          p99Ms: r.p99Ms,
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
          ...(cpu0 === undefined || cpu1 === undefined || r.requests === 0
            ? {}
            : { cpuUsPerRequest: Math.round(((cpu1 - cpu0) * 1e6) / r.requests) }),
        };
        p.runs.push(n);
        progress(
          `delivery: run ${run + 1}/${settings.runs} ${p.case} ${p.mode} ${p.release} on ${p.server}: ` +
            `${formatNumber(n.requestsPerSecond)} req/s, p99 ${n.p99Ms} ms${n.non2xx + n.errors ? `, ${n.non2xx + n.errors} failed` : ''}`,
        );
      }
    }
    // The memory bound, on fresh processes (their peak memory is then the probe's alone).
    const bounds: BodyBound[] = [];
    if (koaEntry) {
      const probeEnv = { PYLAMBDA_BODY_READ_TIMEOUT_MS: String(PROBE_DEADLINE_MS) };
      for (const [reader, serverEntry] of [
        ['json-body.ts', SERVER_ENTRY],
        ['koa-bodyparser', koaEntry],
      ] as const) {
        const fresh = await startOurs(`${reader}-probe`, serverEntry, logs, [], probeEnv);
        servers.push(fresh);
        const bound = await probeBodyBound(reader, fresh);
        bounds.push(bound);
        progress(
          `delivery: ${reader}: RSS ${bound.rssBeforeMiB} MiB, peak ${bound.peakMiB} MiB after floods ` +
            `(${bound.floodStatuses.join(', ')}); stalled body: ${bound.stalledStatus || 'no answer'} after ${bound.stalledAfterMs} ms`,
        );
        await fresh.stop();
      }
    }
    const info = await machine(loadBefore);
    updateResults((all) => {
      all.delivery = {
        machine: info,
        settings: {
          connections: settings.connections,
          durationSeconds: settings.durationSeconds,
          runs: settings.runs,
          warmupSeconds: settings.warmupSeconds,
        },
        before: beforeEntry
          ? `${process.env.BENCH_BEFORE_LABEL || 'an earlier build'} (node ${relative(ROOT, beforeEntry)})`
          : undefined,
        koa: koaEntry ? `node ${relative(ROOT, koaEntry)}` : undefined,
        shellFloor: floorEntry ? `node ${relative(ROOT, floorEntry)}` : undefined,
        sizes,
        bodyBound: bounds,
        loads: plan.map(({ target: _t, url: _u, bodyFile: _b, ...rest }) => rest),
      };
    });
    progress(`delivery: done; load average now ${info.loadAfter.join(' ')}`);
  } finally {
    for (const server of servers) await server.stop();
  }
}
