// Part 3: convergence at scale on the e2e control plane (e2e/cluster-up.sh: etcd,
// kube-apiserver, kube-controller-manager, Metacontroller v4.17.2 and our webhook on 127.0.0.1).
// N PythonLambdas are created at once; we watch until each has its three children and a status.
// The floor writes the same 3 × N children straight to the API server with Metacontroller's own
// client settings (QPS, burst, workers, apply strategy), so the ratio is what the control loop
// (informers, hook calls, status writes) adds on top of the writes themselves.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { postJson, request } from './lib/http.js';
import { inPool, Kube, TokenBucket, type KubeItem, type WatchEvent } from './lib/kube.js';
import { formatNumber, progress } from './lib/log.js';
import { load, machine } from './lib/machine.js';
import { ROOT } from './lib/paths.js';
import { updateResults, type ScaleRun } from './lib/results.js';

const E2E_RUN = join(ROOT, '.cache', 'e2e', 'run');
const KUBECONFIG = join(E2E_RUN, 'kubeconfig');
const GROUP = '/apis/pylambda.dev/v1alpha1';
const CHILD_KINDS = ['ConfigMap', 'Deployment', 'Service'];
/** Creating the parents is the input, not the system under test: many at once, no rate limit. */
const CREATE_CONCURRENCY = 16;

interface MetacontrollerSettings {
  version: string;
  flags: string[];
  workers: number;
  qps: number;
  burst: number;
  applyStrategy: string;
}

function pidAlive(name: string): boolean {
  const file = join(E2E_RUN, `${name}.pid`);
  if (!existsSync(file)) return false;
  try {
    process.kill(Number(readFileSync(file, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

function clusterUp(): boolean {
  return (
    existsSync(KUBECONFIG) &&
    ['kube-apiserver', 'metacontroller', 'webhook'].every((name) => pidAlive(name))
  );
}

async function make(target: string, timeoutMs: number): Promise<void> {
  progress(`scale: make ${target}`);
  // Convergence is Metacontroller's and the API server's work: without a worker node the
  // thousands of pods stay Pending instead of all starting on one machine's kubelet.
  const env = { ...process.env, E2E_SKIP_NODE: '1' };
  const child = spawn('make', ['--no-print-directory', target], {
    cwd: ROOT,
    stdio: 'inherit',
    env,
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`make ${target} exited with ${code}`);
}

/** Metacontroller's flags as it runs now, from its command line, with client-go's defaults. */
function metacontrollerSettings(): MetacontrollerSettings {
  const pid = readFileSync(join(E2E_RUN, 'metacontroller.pid'), 'utf8').trim();
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const flags = argv
    .slice(1)
    .filter((f) => !/^--(kubeconfig|metrics-address|health-probe-bind-address)=/.test(f));
  const value = (name: string) => flags.find((f) => f.startsWith(`--${name}=`))?.split('=')[1];
  const lib = readFileSync(join(ROOT, 'e2e', 'lib.sh'), 'utf8');
  return {
    version: /METACONTROLLER_VERSION=(\S+)/.exec(lib)?.[1] ?? 'unknown',
    flags,
    workers: Number(value('workers') ?? 5),
    qps: Number(value('client-go-qps') ?? 5),
    burst: Number(value('client-go-burst') ?? 10),
    applyStrategy: value('apply-strategy') ?? 'dynamic-apply',
  };
}

function webhookBase(): string {
  const ports = readFileSync(join(E2E_RUN, 'ports.env'), 'utf8');
  const port = /^WEBHOOK_PORT=(\d+)/m.exec(ports)?.[1];
  if (!port) throw new Error(`no WEBHOOK_PORT in ${join(E2E_RUN, 'ports.env')}`);
  return `http://127.0.0.1:${port}`;
}

async function hookCalls(base: string): Promise<number> {
  const reply = await request('GET', `${base}/metrics`);
  let total = 0;
  for (const line of reply.body.split('\n')) {
    if (
      line.startsWith('pylambda_hook_requests_total{') &&
      line.includes('hook="pythonlambda/sync"')
    ) {
      total += Number(line.split(' ').pop());
    }
  }
  return total;
}

function lambda(name: string, i: number) {
  return {
    apiVersion: 'pylambda.dev/v1alpha1',
    kind: 'PythonLambda',
    metadata: { name },
    spec: {
      code: `def handler(event, context):\n    return {"lambda": ${i}, "event": event}\n`,
      replicas: 1,
      timeoutSeconds: 10,
    },
  };
}

function collection(kind: string, namespace: string): string {
  switch (kind) {
    case 'ConfigMap':
      return `/api/v1/namespaces/${namespace}/configmaps`;
    case 'Service':
      return `/api/v1/namespaces/${namespace}/services`;
    case 'Deployment':
      return `/apis/apps/v1/namespaces/${namespace}/deployments`;
    case 'PythonLambda':
      return `${GROUP}/namespaces/${namespace}/pythonlambdas`;
    default:
      throw new Error(`no path for ${kind}`);
  }
}

async function createNamespace(kube: Kube, name: string): Promise<void> {
  await kube.must('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
}

async function deleteNamespace(kube: Kube, name: string, timeoutMs = 600_000): Promise<void> {
  const started = Date.now();
  await kube.request('DELETE', `/api/v1/namespaces/${name}`);
  for (;;) {
    const reply = await kube.request('GET', `/api/v1/namespaces/${name}`);
    if (reply.status === 404) break;
    if (Date.now() - started > timeoutMs) {
      progress(`scale: namespace ${name} still terminating after ${timeoutMs / 1000} s; going on`);
      return;
    }
    await sleep(1000);
  }
  progress(`scale: namespace ${name} deleted in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Writes the API server has answered so far, by `resource[/subresource] VERB`, for our kinds. */
async function apiWrites(kube: Kube): Promise<Map<string, number>> {
  const text = await kube.must<string>('GET', '/metrics');
  const writes = new Map<string, number>();
  for (const line of String(text).split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
    const verb = label('verb');
    const resource = label('resource');
    if (['GET', 'LIST', 'WATCH'].includes(verb)) continue;
    if (!['pythonlambdas', 'configmaps', 'deployments', 'services'].includes(resource)) continue;
    const sub = label('subresource');
    if (sub && resource !== 'pythonlambdas') continue; // the Deployment controller's status writes
    const key = `${resource}${sub ? `/${sub}` : ''} ${verb}`;
    writes.set(key, (writes.get(key) ?? 0) + Number(line.split(' ').pop()));
  }
  return writes;
}

function writesSince(
  before: Map<string, number>,
  after: Map<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta > 0) out[key] = delta;
  }
  return out;
}

interface Progress {
  children: Set<string>;
  childrenAt?: number;
  status: boolean;
  doneAt?: number;
}

/** Create n PythonLambdas at once; seconds until each has its 3 children and a status. */
async function convergence(kube: Kube, n: number, stamp: string, hookBase: string) {
  const namespace = `bench-scale-${n}-${stamp}`;
  await createNamespace(kube, namespace);
  const states = new Map<string, Progress>();
  const state = (name: string) => {
    let s = states.get(name);
    if (!s) states.set(name, (s = { children: new Set(), status: false }));
    return s;
  };

  let done = 0;
  let withChildren = 0;
  let lastChildAt = 0;
  const settle = (s: Progress) => {
    const now = performance.now();
    if (s.children.size === CHILD_KINDS.length && s.childrenAt === undefined) {
      s.childrenAt = now;
      withChildren += 1;
      lastChildAt = now;
    }
    if (s.childrenAt !== undefined && s.status && s.doneAt === undefined) {
      s.doneAt = now;
      done += 1;
    }
  };
  const watchErrors: Error[] = [];
  const onChild = (kind: string) => (event: WatchEvent) => {
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return;
    const owner = event.object.metadata.ownerReferences?.find(
      (o) => o.controller && o.kind === 'PythonLambda',
    );
    if (!owner) return;
    const s = state(owner.name);
    s.children.add(kind);
    settle(s);
  };
  const onLambda = (event: WatchEvent) => {
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return;
    const item: KubeItem = event.object;
    const status = item.status;
    if (
      (status?.observedGeneration ?? 0) >= 1 &&
      status?.conditions?.some((c) => c.type === 'Ready')
    ) {
      const s = state(item.metadata.name);
      s.status = true;
      settle(s);
    }
  };
  const stops = await Promise.all([
    kube.watch(collection('PythonLambda', namespace), onLambda, (e) => watchErrors.push(e)),
    ...CHILD_KINDS.map((kind) =>
      kube.watch(collection(kind, namespace), onChild(kind), (e) => watchErrors.push(e)),
    ),
  ]);
  const callsBefore = await hookCalls(hookBase);
  const writesBefore = await apiWrites(kube);
  const names = Array.from({ length: n }, (_, i) => `fn-${String(i).padStart(4, '0')}`);
  const t0 = performance.now();
  await inPool(names, CREATE_CONCURRENCY, async (name, i) => {
    await kube.must('POST', collection('PythonLambda', namespace), lambda(name, i));
  });
  const createSeconds = (performance.now() - t0) / 1000;
  progress(`scale: N=${n}: created ${n} PythonLambdas in ${createSeconds.toFixed(1)} s`);
  const timeoutMs = 120_000 + n * 600;
  let lastReport = performance.now();
  while (done < n && performance.now() - t0 < timeoutMs && watchErrors.length === 0) {
    await sleep(100);
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      progress(
        `scale: N=${n}: ${withChildren}/${n} have their children, ${done}/${n} converged, ${((lastReport - t0) / 1000).toFixed(0)} s`,
      );
    }
  }
  const writes = writesSince(writesBefore, await apiWrites(kube));
  for (const stop of stops) stop();
  if (watchErrors.length) throw watchErrors[0]!;
  const timedOut = done < n;
  const finished = timedOut
    ? performance.now()
    : Math.max(...[...states.values()].map((s) => s.doneAt ?? 0));
  const convergedSeconds = (finished - t0) / 1000;
  const hookCallCount = (await hookCalls(hookBase)) - callsBefore;
  progress(
    `scale: N=${n}: ${timedOut ? `TIMED OUT with ${done}/${n} converged after` : 'converged in'} ${convergedSeconds.toFixed(1)} s ` +
      `(children of all: ${((lastChildAt - t0) / 1000).toFixed(1)} s; ${formatNumber(hookCallCount)} sync hook calls)`,
  );
  progress(
    `scale: N=${n}: API writes until then: ${Object.entries(writes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  await deleteNamespace(kube, namespace);
  return {
    createSeconds,
    childrenSeconds: (lastChildAt - t0) / 1000,
    convergedSeconds,
    hookCalls: hookCallCount,
    writes,
    timedOut,
  };
}

interface Child {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
}

/** The floor: the same 3 × n children written directly, with Metacontroller's client settings. */
async function floor(
  kube: Kube,
  n: number,
  stamp: string,
  mc: MetacontrollerSettings,
  hookBase: string,
) {
  const namespace = `bench-floor-${n}-${stamp}`;
  await createNamespace(kube, namespace);
  // The children our hook renders for each lambda (what Metacontroller writes).
  const perLambda: Child[][] = [];
  for (let i = 0; i < n; i += 1) {
    const name = `fn-${String(i).padStart(4, '0')}`;
    const parent = {
      ...lambda(name, i),
      metadata: { name, namespace, generation: 1, uid: `floor-${i}` },
    };
    const empty = { 'ConfigMap.v1': {}, 'Deployment.apps/v1': {}, 'Service.v1': {} };
    const reply = await postJson<{ children: Child[] }>(
      `${hookBase}/hooks/pythonlambda/sync`,
      JSON.stringify({ parent, children: empty, related: {}, finalizing: false }),
    );
    for (const child of reply.children) {
      child.metadata.labels = { ...child.metadata.labels, 'controller-uid': `floor-${i}` };
    }
    perLambda.push(reply.children);
  }
  const bucket = new TokenBucket(mc.qps, mc.burst);
  const serverSide = mc.applyStrategy === 'server-side-apply';
  const t0 = performance.now();
  // One worker syncs one parent at a time and writes its children one after another.
  await inPool(perLambda, mc.workers, async (children) => {
    for (const child of children) {
      await bucket.take();
      const path = collection(child.kind, namespace);
      if (serverSide) {
        await kube.must(
          'PATCH',
          `${path}/${child.metadata.name}?fieldManager=metacontroller&force=true`,
          child,
          'application/apply-patch+yaml',
        );
      } else {
        await kube.must('POST', path, child);
      }
    }
  });
  const floorSeconds = (performance.now() - t0) / 1000;
  progress(
    `scale: N=${n}: floor: ${3 * n} ${serverSide ? 'server-side applies' : 'creates'} in ${floorSeconds.toFixed(1)} s`,
  );
  await deleteNamespace(kube, namespace);
  return floorSeconds;
}

export async function runScale(): Promise<void> {
  if (!existsSync(join(ROOT, 'e2e', 'cluster-up.sh'))) {
    const why =
      'Skipped: the e2e control plane tooling (e2e/cluster-up.sh) is not in this checkout.';
    progress(`scale: ${why}`);
    updateResults((all) => {
      all.scaleSkipped = why;
    });
    return;
  }
  const counts = (process.env.BENCH_SCALE_N || '50 200 800')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) {
    throw new Error(
      `BENCH_SCALE_N must list whole numbers from 1 to 5000, not ${process.env.BENCH_SCALE_N}`,
    );
  }
  const loadBefore = load();
  const ownCluster = !clusterUp();
  if (ownCluster) {
    progress('scale: no e2e cluster is running; starting one (stopped again at the end)');
    await make('cluster-up', 45 * 60_000);
  } else {
    progress(
      `scale: using the running e2e cluster (${E2E_RUN.slice(ROOT.length + 1)}); it stays up`,
    );
  }
  const kube = new Kube(KUBECONFIG);
  try {
    const mc = metacontrollerSettings();
    const hookBase = webhookBase();
    await kube.must('GET', `${GROUP}`);
    const controllers = await kube.must<{ items: unknown[] }>(
      'GET',
      '/apis/metacontroller.k8s.io/v1alpha1/compositecontrollers',
    );
    if (controllers.items.length === 0)
      throw new Error('no CompositeController: config/local is not applied');
    progress(
      `scale: Metacontroller ${mc.version} ${mc.flags.join(' ')}; load average ${loadBefore.join(' ')}`,
    );
    const stamp = Date.now().toString(36).slice(-5);
    const runs: ScaleRun[] = [];
    for (const n of counts) {
      const converged = await convergence(kube, n, stamp, hookBase);
      const floorSeconds = await floor(kube, n, stamp, mc, hookBase);
      runs.push({ n, ...converged, floorSeconds });
      progress(
        `scale: N=${n}: converged ÷ floor = ${(converged.convergedSeconds / floorSeconds).toFixed(2)}`,
      );
    }
    const info = await machine(loadBefore);
    updateResults((all) => {
      all.scale = {
        machine: info,
        metacontroller: {
          version: mc.version,
          flags: mc.flags,
          workers: mc.workers,
          qps: mc.qps,
          burst: mc.burst,
        },
        runs,
      };
      delete all.scaleSkipped;
    });
  } finally {
    kube.close();
    if (ownCluster) await make('cluster-down', 5 * 60_000);
  }
}
