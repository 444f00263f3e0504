// The report's section on the runtime delivery (bench/delivery.ts): what the runtime image saved
// in bytes per lambda and per hook call, what that did to throughput on requests no cache can
// answer, and the two body readers side by side.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/paths.js';
import type { DeliveryLoad, DeliveryResults, Machine } from './lib/results.js';
import { max, median, min } from './lib/stats.js';
import type { ReleaseSizes } from './sizes.js';

const fmt = (v: number, digits = 0) =>
  Number.isFinite(v)
    ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
const kib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${fmt(bytes)} B`);
/** Within this of the code's own bytes (issue "the runtime ships once"). */
const OVERHEAD_TARGET = 2048;
const CEILING_TARGET = 0.5;
/** The rule for going back to koa-bodyparser: no more than this lost on the realistic resync. */
const KOA_TOLERANCE = 0.15;

const SIZE_ROWS: [keyof ReleaseSizes, string][] = [
  ['codeBytes', "the user's files in the PythonLambda (code, files)"],
  ['configMapDesiredBytes', 'code ConfigMap as the hook answers it'],
  ['configMapServerSideApplyBytes', 'code ConfigMap stored, server-side apply'],
  [
    'configMapDynamicApplyBytes',
    'code ConfigMap stored, dynamic apply (+ last-applied annotation)',
  ],
  ['realisticRequestBytes', 'realistic sync request (text-stats resync)'],
  ['realisticAnswerBytes', 'realistic sync answer'],
  ['decoratorRequestBytes', 'decorator sync request (annotated greeter)'],
  ['decoratorAnswerBytes', 'decorator sync answer'],
  ['decoratorConfigMapBytes', 'ConfigMap the decorator attaches'],
];

function machineLine(m: Machine): string {
  return (
    `${m.date}, commit \`${m.commit}\`, ${m.cpus} (${m.cores} cores), Node ${m.node}; ` +
    `load average ${m.loadBefore.join(' / ')} before, ${m.loadAfter.join(' / ')} after`
  );
}

function find(d: DeliveryResults, want: Omit<DeliveryLoad, 'runs'>): DeliveryLoad | undefined {
  return d.loads.find(
    (l) =>
      l.server === want.server &&
      l.release === want.release &&
      l.case === want.case &&
      l.mode === want.mode,
  );
}

function rps(load: DeliveryLoad | undefined): number {
  return median((load?.runs ?? []).map((r) => r.requestsPerSecond));
}

function cpu(load: DeliveryLoad | undefined): number {
  return median(
    (load?.runs ?? []).map((r) => r.cpuUsPerRequest).filter((v): v is number => v !== undefined),
  );
}

function spread(load: DeliveryLoad | undefined): string {
  const all = (load?.runs ?? []).map((r) => r.requestsPerSecond);
  return all.length ? `${fmt(min(all))}–${fmt(max(all))}` : 'n/a';
}

function sizeTable(d: DeliveryResults): string[] {
  const { before, after } = d.sizes;
  const lines = [
    '| bytes | before | after | after ÷ before |',
    '| --- | ---: | ---: | ---: |',
    ...SIZE_ROWS.map(([key, what]) => {
      const b = before?.[key] as number | undefined;
      const a = after?.[key] as number | undefined;
      const r = b && a !== undefined ? `${fmt(a / b, 3)} ×` : 'n/a';
      return `| ${what} | ${kib(b)} | ${kib(a)} | ${r} |`;
    }),
    '',
  ];
  if (after) {
    const ssa = after.configMapServerSideApplyBytes - after.codeBytes;
    const dyn = after.configMapDynamicApplyBytes - after.codeBytes;
    const dynTwice = after.configMapDynamicApplyBytes - 2 * after.codeBytes;
    lines.push(
      `The code ConfigMap now holds \`${after.configMapKeys.join('`, `')}\`` +
        (before ? ` (before: \`${before.configMapKeys.join('`, `')}\`)` : '') +
        '. Target: the stored ConfigMap within 2 KB of its code. Server-side apply: ' +
        `${fmt(ssa)} B over the code, **${ssa <= OVERHEAD_TARGET ? 'pass' : 'miss'}**. Dynamic apply ` +
        `stores the code twice (the object and its last-applied annotation): ${fmt(dyn)} B over one copy ` +
        `(**${dyn <= OVERHEAD_TARGET ? 'pass' : 'miss'}**), ${fmt(dynTwice)} B over its two copies. ` +
        'Sizes are the JSON of the object as `kubectl get -o json` shows it, system metadata and ' +
        'managedFields included (etcd keeps core types as protobuf, a little smaller).',
      '',
    );
  }
  return lines;
}

/** One server's load on one case's requests that all differ. */
function distinct(d: DeliveryResults, server: string, release: 'after' | 'before', c: string) {
  return find(d, { server, release, case: c, mode: 'distinct' });
}

function ceilingTable(d: DeliveryResults): string[] {
  const lines = [
    '| request (all distinct) | release | service req/s (all runs) | ceiling req/s | service ÷ ceiling | target ≥ 0.5 | CPU µs per call |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const c of ['realistic', 'decorator']) {
    for (const release of ['before', 'after'] as const) {
      const server = release === 'after' ? 'ours' : 'before';
      const service = distinct(d, server, release, c);
      if (!service) continue;
      const ceiling = distinct(d, 'ceiling', release, c);
      const ratio = rps(service) / rps(ceiling);
      lines.push(
        `| ${c} | ${release} | ${fmt(rps(service))} (${spread(service)}) | ${fmt(rps(ceiling))} | ` +
          `${fmt(ratio, 2)} × | **${ratio >= CEILING_TARGET ? 'pass' : 'miss'}** | ${fmt(cpu(service))} |`,
      );
    }
  }
  for (const c of ['realistic', 'decorator']) {
    const floor = distinct(d, 'shell-floor', 'after', c);
    if (!floor) continue;
    const ceiling = distinct(d, 'ceiling', 'after', c);
    const ratio = rps(floor) / rps(ceiling);
    lines.push(
      `| ${c} | shell floor: after, the hook's work skipped | ${fmt(rps(floor))} (${spread(floor)}) | ` +
        `${fmt(rps(ceiling))} | ${fmt(ratio, 2)} × | ${ratio >= CEILING_TARGET ? 'reaches' : 'below'} | ${fmt(cpu(floor))} |`,
    );
  }
  const ceilingCpu = ['realistic', 'decorator']
    .map((c) => `${c} ${fmt(cpu(distinct(d, 'ceiling', 'after', c)))}`)
    .join(', ');
  lines.push('', `The ceiling's own CPU µs per call (after): ${ceilingCpu}.`);
  for (const c of ['realistic', 'decorator']) {
    const b = distinct(d, 'before', 'before', c);
    const a = distinct(d, 'ours', 'after', c);
    if (b && a) lines.push('', `${c}: after ÷ before = ${fmt(rps(a) / rps(b), 2)} ×.`);
  }
  lines.push('');
  return lines;
}

function koaTable(d: DeliveryResults): string[] {
  const rows: [string, string, 'distinct' | 'repeated'][] = [
    ['realistic resync, repeated request (cache hit)', 'realistic', 'repeated'],
    ['realistic, all distinct (cache miss)', 'realistic', 'distinct'],
    ['decorator, all distinct (cache miss)', 'decorator', 'distinct'],
  ];
  const lines = [
    '| path | json-body.ts req/s | koa-bodyparser req/s | koa-bodyparser ÷ json-body.ts | CPU µs per call (json-body.ts / koa-bodyparser) |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  let hitCost = NaN;
  for (const [what, c, mode] of rows) {
    const ours = find(d, { server: 'ours', release: 'after', case: c, mode });
    const koa = find(d, { server: 'koa-bodyparser', release: 'after', case: c, mode });
    const ratio = rps(koa) / rps(ours);
    if (mode === 'repeated') hitCost = 1 - ratio;
    lines.push(
      `| ${what} | ${fmt(rps(ours))} (${spread(ours)}) | ${fmt(rps(koa))} (${spread(koa)}) | ` +
        `${fmt(ratio, 2)} × | ${fmt(cpu(ours))} / ${fmt(cpu(koa))} |`,
    );
  }
  lines.push(
    '',
    `On the realistic resync koa-bodyparser costs ${fmt(hitCost * 100)}% of the throughput ` +
      `(the rule: go back to it unless it costs more than ${fmt(KOA_TOLERANCE * 100)}% or defeats the memory bound; ` +
      'the memory bound is below).',
    '',
  );
  return lines;
}

function boundTable(d: DeliveryResults): string[] {
  if (!d.bodyBound?.length) return [];
  return [
    'The memory bound (`bench/body-bound.ts`, each reader on a fresh process started with ' +
      '`PYLAMBDA_BODY_READ_TIMEOUT_MS=1000`): 3 rounds of 5 concurrent 4 MiB bodies of about 1.4 million ' +
      'empty objects (within `PYLAMBDA_BODY_LIMIT_BYTES`, far beyond `PYLAMBDA_MAX_JSON_VALUES`), then a ' +
      'body that stops after 10 of its 100 bytes:',
    '',
    '| reader | RSS before (MiB) | peak RSS after the floods (MiB) | flood answers | stalled body |',
    '| --- | ---: | ---: | --- | --- |',
    ...d.bodyBound.map(
      (b) =>
        `| ${b.reader} | ${fmt(b.rssBeforeMiB, 1)} | ${fmt(b.peakMiB, 1)} | ${b.floodStatuses.map((status) => status || 'reset').join(', ')} | ` +
        `${b.stalledStatus ? `${b.stalledStatus} after ${fmt(b.stalledAfterMs)} ms` : `no answer in ${fmt(b.stalledAfterMs)} ms`} |`,
    ),
    '',
  ];
}

/** What the before tree did with the runtime, read from its own code ConfigMap. */
function beforeDelivery(d: DeliveryResults): string {
  const keys = d.sizes.before?.configMapKeys;
  if (!keys) return 'not measured';
  return keys.includes('pylambda_runtime.py')
    ? "where every lambda's code ConfigMap carried the runtime (`pylambda_runtime.py`)"
    : "which already gets the runtime from the runtime image (its code ConfigMap holds only the user's files)";
}

export function deliverySection(d: DeliveryResults): string {
  const s = d.settings;
  const lines = [
    '## 5. Runtime delivery: before and after',
    '',
    `Measured ${machineLine(d.machine)}. ${s.runs} runs of ${s.durationSeconds} s per load after ` +
      `${s.warmupSeconds} s of warm-up, ${s.connections} connections, loads in rotating order.`,
    '',
    `"Before" is ${d.before ?? 'not measured (no BENCH_BEFORE_ENTRY)'}, ${beforeDelivery(d)}; ` +
      '"after" is this tree, where pods get the runtime from the runtime image. ' +
      "Each service gets requests of its own release's shape: the requests are built through that service " +
      "(its rendered children fed back as stored) from that tree's samples and controllers.",
    '',
    'Measured by `make bench-delivery` (`bench/delivery.ts`, byte counts in `bench/sizes.ts`), which builds ' +
      'the before tree (`bench/variants/before.sh $BENCH_BEFORE_REF`, main unless set) and the koa-bodyparser variant ' +
      '(`bench/variants/koa-bodyparser.sh`) and the shell floor (`bench/variants/shell-floor.sh`), and runs ' +
      '`BENCH_BEFORE_ENTRY=.cache/bench/before/dist/src/server.js BENCH_KOA_ENTRY=.cache/bench/koa-bodyparser/dist/src/server.js BENCH_FLOOR_ENTRY=.cache/bench/shell-floor/dist/src/server.js node --import tsx bench/main.ts delivery`. ' +
      'The children themselves: `npx pylambda render -f config/samples/pythonlambda-text-stats.yaml` in each tree.',
    '',
    '### Bytes per lambda and per hook call',
    '',
    ...sizeTable(d),
    '### Throughput when no request repeats',
    '',
    "Every request has different bytes (autocannon `-I` puts a new id into the parent's resourceVersion on each " +
      'call, as after an edit), so the response cache, on as by default, never answers: every call is read, parsed, ' +
      'validated and rendered. The ceiling (`bench/ceiling-server.js`) gets the same requests and sends that ' +
      "release's precomputed answer.",
    '',
    ...ceilingTable(d),
  ];
  if (d.shellFloor) {
    lines.push(
      `The shell floor (${d.shellFloor}, \`bench/variants/shell-floor.patch\`) is this tree with every hook ` +
        'sending its first answer again to each later request: it reads, bounds, validates, keys, logs and ' +
        'counts every call and writes its answer through Koa, but renders nothing. It is what the service ' +
        "would reach if the hook's own work (render, hashes, status) cost nothing.",
      '',
    );
  }
  if (d.koa) {
    lines.push(
      '### Body reader: `koa-bodyparser` against `src/http/json-body.ts`',
      '',
      `The variant (${d.koa}) is this tree with koa-bodyparser wired as before commit \`93496a1\` ` +
        '(`bench/variants/koa-bodyparser.patch`): the body is parsed in the middleware, then the cache is ' +
        'looked up by its text; the value count (413) is checked after the parse.',
      '',
      ...koaTable(d),
      ...boundTable(d),
    );
  }
  // What the numbers mean, written by hand after a run (as bench/findings.md is for section 4).
  const findings = join(ROOT, 'bench', 'findings-delivery.md');
  if (existsSync(findings)) lines.push(readFileSync(findings, 'utf8').trim(), '');
  return lines.join('\n');
}
