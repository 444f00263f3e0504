// Part 2: the Python runtime. Invocation throughput of a trivial handler (the event back) against
// a bare http.server echo with the same server model, and cold start: process spawn to the first
// 200 from /healthz, as a readiness probe would see it.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from './lib/http.js';
import { runLoad } from './lib/load.js';
import { formatNumber, progress } from './lib/log.js';
import { load, machine } from './lib/machine.js';
import { CACHE, pythonExecutable, ROOT, RUNTIME_ARGS, RUNTIME_PATH } from './lib/paths.js';
import { freePort, startServer, type RunningServer } from './lib/processes.js';
import { updateResults, type RunNumbers } from './lib/results.js';
import { benchSettings } from './lib/settings.js';
import { median } from './lib/stats.js';

const CODE_DIR = join(ROOT, 'bench', 'runtime');
const ECHO_SERVER = join(ROOT, 'bench', 'runtime', 'echo_server.py');
const EVENT = JSON.stringify({ name: 'bench', items: [1, 2, 3], nested: { ok: true } });

/** As a pod runs it: the package on PYTHONPATH, the handler's directory as the working one. */
function runtimeEnv(port: number): Record<string, string> {
  return {
    PYTHONPATH: RUNTIME_PATH,
    PYLAMBDA_HANDLER: 'main.handler',
    PYLAMBDA_CODE_DIR: CODE_DIR,
    PYLAMBDA_HOST: '127.0.0.1',
    PYLAMBDA_PORT: String(port),
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

/** Milliseconds from spawn to the first 200 on `path`; the process is killed afterwards. */
async function coldStart(
  python: string,
  args: string[],
  env: Record<string, string>,
  port: number,
  path: string,
): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(python, args, {
    cwd: CODE_DIR,
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
      try {
        const reply = await request('GET', `http://127.0.0.1:${port}${path}`, undefined, 1000);
        if (reply.status === 200) return Number(process.hrtime.bigint() - started) / 1e6;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`${args.join(' ')}: no 200 on ${path} within 10 s`);
      await sleep(2);
    }
  } finally {
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }
}

export async function runRuntime(): Promise<void> {
  const settings = benchSettings();
  const loadBefore = load();
  const logs = join(CACHE, 'logs');
  mkdirSync(logs, { recursive: true });
  const eventFile = join(CACHE, 'runtime-event.json');
  writeFileSync(eventFile, EVENT);
  progress(
    `runtime: load average ${loadBefore.join(' ')}; ${settings.runs} runs of ${settings.durationSeconds} s each`,
  );

  const python = await pythonExecutable();
  const runtimePort = await freePort();
  const echoPort = await freePort();
  const servers: RunningServer[] = [];
  const results: Record<'runtime' | 'echo', RunNumbers[]> = { runtime: [], echo: [] };
  try {
    servers.push(
      await startServer({
        name: 'runtime',
        command: python,
        args: RUNTIME_ARGS,
        env: runtimeEnv(runtimePort),
        cwd: CODE_DIR,
        logFile: join(logs, 'runtime.log'),
        port: runtimePort,
        readyPath: '/healthz',
      }),
      await startServer({
        name: 'echo',
        command: python,
        args: [ECHO_SERVER],
        env: { PORT: String(echoPort) },
        logFile: join(logs, 'echo.log'),
        port: echoPort,
        readyPath: '/',
      }),
    );
    for (const server of servers) {
      const reply = await request('POST', server.baseUrl + '/', EVENT);
      if (reply.status !== 200 || JSON.stringify(JSON.parse(reply.body)) !== EVENT) {
        throw new Error(`${server.name} did not echo the event: ${reply.status} ${reply.body}`);
      }
    }
    const loadOf = (server: RunningServer, seconds: number) =>
      runLoad({
        url: server.baseUrl + '/',
        bodyFile: eventFile,
        connections: settings.connections,
        durationSeconds: seconds,
        maxRequests: Math.ceil(seconds * 50_000),
      });
    progress(`runtime: warming up (${settings.warmupSeconds} s each)`);
    for (const server of servers) await loadOf(server, settings.warmupSeconds);
    for (let run = 0; run < settings.runs; run += 1) {
      const order = run % 2 ? [...servers].reverse() : servers;
      for (const server of order) {
        const r = await loadOf(server, settings.durationSeconds);
        const n: RunNumbers = {
          requestsPerSecond: Math.round(r.requestsPerSecond * 10) / 10,
          p50Ms: r.p50Ms,
          p99Ms: r.p99Ms,
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
        };
        results[server.name as 'runtime' | 'echo'].push(n);
        progress(
          `runtime: run ${run + 1}/${settings.runs} ${server.name}: ${formatNumber(n.requestsPerSecond)} req/s, p50 ${n.p50Ms} ms, p99 ${n.p99Ms} ms`,
        );
      }
    }
  } finally {
    for (const server of servers) await server.stop();
  }

  progress(`runtime: cold start, ${settings.coldStarts} times each`);
  const coldStartMs: number[] = [];
  const echoColdStartMs: number[] = [];
  for (let i = 0; i < settings.coldStarts; i += 1) {
    const port = await freePort();
    coldStartMs.push(await coldStart(python, RUNTIME_ARGS, runtimeEnv(port), port, '/healthz'));
    const echo = await freePort();
    echoColdStartMs.push(await coldStart(python, [ECHO_SERVER], { PORT: String(echo) }, echo, '/'));
  }
  progress(
    `runtime: cold start median ${median(coldStartMs).toFixed(0)} ms (bare echo server ${median(echoColdStartMs).toFixed(0)} ms)`,
  );
  const info = await machine(loadBefore);
  updateResults((all) => {
    all.runtime = {
      machine: info,
      settings: {
        connections: settings.connections,
        durationSeconds: settings.durationSeconds,
        runs: settings.runs,
        coldStarts: settings.coldStarts,
      },
      runtime: results.runtime,
      echo: results.echo,
      coldStartMs: coldStartMs.map((ms) => Math.round(ms * 10) / 10),
      echoColdStartMs: echoColdStartMs.map((ms) => Math.round(ms * 10) / 10),
    };
  });
}
