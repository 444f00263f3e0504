// Renders docs/benchmarks.md and the charts from docs/benchmarks.json. The curated part (what
// the profiles showed and what was changed) lives in bench/findings.md and is included as is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as prettier from 'prettier';
import { barChartSvg, lineChartSvg, svgToPng } from './lib/chart.js';
import { progress } from './lib/log.js';
import { deliverySection } from './report-delivery.js';
import { CHART_PNG, RESULTS_MD, ROOT, SCALE_CHART_PNG } from './lib/paths.js';
import {
  readResults,
  type CaseResult,
  type HookResults,
  type Machine,
  type Results,
  type RunNumbers,
  type RuntimeResults,
  type ScaleResults,
  type ScaleRun,
  type ServerCaseResult,
} from './lib/results.js';
import { max, median, min } from './lib/stats.js';

const SERVERS = ['ceiling', 'ours', 'ours-uncached', 'peer', 'before'];

function present(hooks: HookResults): string[] {
  return SERVERS.filter((name) => hooks.cases.some((c) => server(c, name)));
}

export interface Target {
  what: string;
  target: string;
  measured: string;
  pass: boolean | undefined;
}

const fmt = (v: number, digits = 0) =>
  Number.isFinite(v)
    ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
const verdict = (pass: boolean | undefined) =>
  pass === undefined ? 'not measured' : pass ? '**pass**' : '**miss**';

function rps(entry: ServerCaseResult | undefined): number {
  return median((entry?.max ?? []).map((r) => r.requestsPerSecond));
}
function values(runs: RunNumbers[], key: keyof RunNumbers): number[] {
  return runs.map((r) => r[key]).filter((v): v is number => v !== undefined);
}
function stat(runs: RunNumbers[], key: keyof RunNumbers): number {
  return median(values(runs, key));
}
function server(c: CaseResult | undefined, name: string): ServerCaseResult | undefined {
  return c?.servers.find((s) => s.server === name);
}
function ratio(c: CaseResult | undefined, a: string, b: string): number {
  return rps(server(c, a)) / rps(server(c, b));
}

function machineLine(m: Machine): string {
  return (
    `${m.date}, commit \`${m.commit}\`, ${m.cpus} (${m.cores} cores), Node ${m.node}, ${m.python}; ` +
    `load average ${m.loadBefore.join(' / ')} before, ${m.loadAfter.join(' / ')} after`
  );
}

export function targets(results: Results): Target[] {
  const hooks = results.hooks;
  const realistic = hooks?.cases.find((c) => c.name === 'realistic');
  const large = hooks?.cases.find((c) => c.name === 'large');
  const out: Target[] = [];
  const oursCeiling = ratio(realistic, 'ours', 'ceiling');
  out.push({
    what: 'hook throughput, realistic request, vs the ceiling',
    target: '≥ 0.7 × ceiling',
    measured: `${fmt(oursCeiling, 2)} ×`,
    pass: hooks ? oursCeiling >= 0.7 : undefined,
  });
  const uncachedCeiling = ratio(realistic, 'ours-uncached', 'ceiling');
  out.push({
    what: 'the same with the response cache off (every call parsed, validated, rendered)',
    target: '≥ 0.7 × ceiling',
    measured: `${fmt(uncachedCeiling, 2)} ×`,
    pass: server(realistic, 'ours-uncached') ? uncachedCeiling >= 0.7 : undefined,
  });
  const oursPeer = ratio(realistic, 'ours', 'peer');
  out.push({
    what: 'hook throughput, realistic request, vs the peer',
    target: '≥ 2.5 × peer',
    measured: `${fmt(oursPeer, 2)} ×`,
    pass: hooks ? oursPeer >= 2.5 : undefined,
  });
  const ours = server(realistic, 'ours');
  const p99 = stat(ours?.half ?? [], 'p99Ms');
  out.push({
    what: `hook p99 latency, realistic request, at half our maximum rate (${fmt(ours?.halfRate ?? NaN)} req/s)`,
    target: '≤ 5 ms',
    measured: `${fmt(p99)} ms`,
    pass: hooks ? p99 <= 5 : undefined,
  });
  const largeRatio = ratio(large, 'ours', 'ceiling');
  out.push({
    what: 'hook throughput, 900 KiB request, vs the ceiling',
    target: '≥ 0.7 × ceiling',
    measured: `${fmt(largeRatio, 2)} ×`,
    pass: hooks ? largeRatio >= 0.7 : undefined,
  });
  const largeUncached = ratio(large, 'ours-uncached', 'ceiling');
  out.push({
    what: 'the same with the response cache off',
    target: '≥ 0.7 × ceiling',
    measured: `${fmt(largeUncached, 2)} ×`,
    pass: server(large, 'ours-uncached') ? largeUncached >= 0.7 : undefined,
  });
  const rt = results.runtime;
  const rtRatio = rt
    ? median(rt.runtime.map((r) => r.requestsPerSecond)) /
      median(rt.echo.map((r) => r.requestsPerSecond))
    : NaN;
  out.push({
    what: 'runtime invocation throughput vs a bare http.server echo',
    target: '≥ 0.8 × echo',
    measured: `${fmt(rtRatio, 2)} ×`,
    pass: rt ? rtRatio >= 0.8 : undefined,
  });
  const cold = rt ? median(rt.coldStartMs) : NaN;
  out.push({
    what: 'runtime cold start (spawn to first 200 on /healthz), median',
    target: '≤ 300 ms',
    measured: `${fmt(cold)} ms`,
    pass: rt ? cold <= 300 : undefined,
  });
  const scale = results.scale;
  // At small N the floor is mostly the client's burst; the largest N shows the steady ratio.
  const largest = scale ? [...scale.runs].sort((a, b) => b.n - a.n)[0] : undefined;
  const floorRatio = largest ? largest.convergedSeconds / largest.floorSeconds : NaN;
  out.push({
    what: `convergence time vs the floor (the same writes, same client settings), N = ${largest?.n ?? 'n/a'}`,
    target: '≤ 2 × floor',
    measured: scale ? `${fmt(floorRatio, 2)} ×` : 'not run',
    pass: scale ? floorRatio <= 2 && !scale.runs.some((r) => r.timedOut) : undefined,
  });
  const growth = scale ? linearity(scale) : undefined;
  out.push({
    what: 'convergence time grows linearly with N',
    target: 'per-lambda time at the largest N ≤ 1.5 × at the smallest',
    measured: growth ? `${fmt(growth, 2)} ×` : 'not run',
    pass: growth === undefined ? undefined : growth <= 1.5,
  });
  return out;
}

/** Seconds per lambda at the largest N over seconds per lambda at the smallest. */
function linearity(scale: ScaleResults): number | undefined {
  const runs = [...scale.runs].sort((a, b) => a.n - b.n);
  if (runs.length < 2) return undefined;
  const first = runs[0]!;
  const last = runs[runs.length - 1]!;
  return last.convergedSeconds / last.n / (first.convergedSeconds / first.n);
}

function range(runs: RunNumbers[], key: keyof RunNumbers, digits = 0): string {
  const all = values(runs, key);
  return `${fmt(min(all), digits)}–${fmt(max(all), digits)}`;
}

function hookSection(hooks: HookResults): string {
  const s = hooks.settings;
  const lines = [
    '## 1. Hook service',
    '',
    `Measured ${machineLine(hooks.machine)}.`,
    '',
    `autocannon on 127.0.0.1 with ${s.connections} connections (Metacontroller's default \`--workers\`), ` +
      `${s.durationSeconds} s per run after a ${s.warmupSeconds} s warm-up, ${s.runs} runs per server and request ` +
      'in rotating order; the median run is reported, with the range of all runs. The second set of runs asks each ' +
      'server for half of its own median maximum rate (autocannon `-R`).',
    '',
    '| server | what it is |',
    '| --- | --- |',
    ...Object.entries(hooks.servers).map(([name, what]) => `| ${name} | ${what} |`),
    '',
    '| request | server | req/s (median) | req/s (all runs) | p50 ms | p99 ms | p99 ms at half rate (rate) | CPU µs per call | ours ÷ this |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const c of hooks.cases) {
    for (const name of present(hooks)) {
      const e = server(c, name);
      if (!e) continue;
      const errors = [...e.max, ...e.half].reduce((n, r) => n + r.non2xx + r.errors, 0);
      lines.push(
        `| ${c.name} (${fmt(c.requestBytes / 1024)} KiB) | ${name}${errors ? ` (${errors} failed calls)` : ''} | ` +
          `${fmt(rps(e))} | ${range(e.max, 'requestsPerSecond')} | ${fmt(stat(e.max, 'p50Ms'))} | ` +
          `${fmt(stat(e.max, 'p99Ms'))} | ${fmt(stat(e.half, 'p99Ms'))} (${fmt(e.halfRate)}) | ` +
          `${fmt(stat(e.half, 'cpuUsPerRequest'))} | ` +
          `${name === 'ours' ? '' : `${fmt(ratio(c, 'ours', name), 2)} ×`} |`,
      );
    }
  }
  lines.push(
    '',
    'Requests: `realistic` is a steady-state resync of the `text-stats` sample as Metacontroller v4.17.2 sends it ' +
      '(hook API v2; the parent and its ConfigMap, Deployment and Service as the informers hold them, managedFields ' +
      "included; the ConfigMap carries only the user's code, the runtime comes from the runtime image); `large` is the same with 900 KiB " +
      'of code (in the parent and again in the ConfigMap); `decorator` is the annotated `greeter` Deployment with its ' +
      "two attachments. Latencies are whole milliseconds (autocannon). CPU µs per call is the server process's " +
      'user + system time over the half-rate runs divided by the calls answered: unlike req/s it hardly moves ' +
      'with other load on the machine.',
    '',
  );
  if (present(hooks).includes('before')) {
    lines.push(
      `"before" is ${hooks.servers.before ?? 'an earlier build'}, run in the same rotation as ours, so before and after are measured under the same conditions:`,
      '',
      '| request | before req/s | after req/s | change | before CPU µs per call | after CPU µs per call |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const c of hooks.cases) {
      const before = server(c, 'before');
      const after = server(c, 'ours');
      lines.push(
        `| ${c.name} | ${fmt(rps(before))} | ${fmt(rps(after))} | ${fmt((rps(after) / rps(before) - 1) * 100)}% | ` +
          `${fmt(stat(before?.half ?? [], 'cpuUsPerRequest'))} | ${fmt(stat(after?.half ?? [], 'cpuUsPerRequest'))} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

function runtimeSection(rt: RuntimeResults): string {
  const s = rt.settings;
  const row = (name: string, runs: RunNumbers[]) =>
    `| ${name} | ${fmt(median(runs.map((r) => r.requestsPerSecond)))} | ${range(runs, 'requestsPerSecond')} | ${fmt(stat(runs, 'p50Ms'))} | ${fmt(stat(runs, 'p99Ms'))} |`;
  return [
    '## 2. Python runtime',
    '',
    `Measured ${machineLine(rt.machine)}.`,
    '',
    `A trivial handler (\`return event\`, bench/runtime/main.py) served by the runtime package, started as a pod starts it ` +
      '(`python -u -P -m pylambda_runtime` with `PYTHONPATH=runtime`), against ' +
      '`bench/runtime/echo_server.py`, a bare `http.server` echo with the same server model (threads, HTTP/1.1 ' +
      `keep-alive, \`TCP_NODELAY\`); autocannon, ${s.connections} connections, ${s.durationSeconds} s, ${s.runs} runs each.`,
    '',
    '| server | req/s (median) | req/s (all runs) | p50 ms | p99 ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('runtime, trivial handler', rt.runtime),
    row('bare http.server echo', rt.echo),
    '',
    `Cold start, process spawn to the first 200 on \`/healthz\` (${s.coldStarts} starts, interpreter run directly ` +
      'as in a pod, not through a version-manager shim):',
    '',
    '| process | median ms | min–max ms |',
    '| --- | ---: | ---: |',
    `| runtime (imports the handler, then /healthz is 200) | ${fmt(median(rt.coldStartMs))} | ${fmt(min(rt.coldStartMs))}–${fmt(max(rt.coldStartMs))} |`,
    `| bare http.server echo (for scale) | ${fmt(median(rt.echoColdStartMs))} | ${fmt(min(rt.echoColdStartMs))}–${fmt(max(rt.echoColdStartMs))} |`,
    '',
  ].join('\n');
}

function scaleSection(results: Results): string {
  const scale = results.scale;
  if (!scale) {
    return [
      '## 3. Convergence at scale',
      '',
      results.scaleSkipped ??
        'Not run yet: `make bench-scale` needs the e2e control plane (`make cluster-up`).',
      '',
    ].join('\n');
  }
  const mc = scale.metacontroller;
  const lines = [
    '## 3. Convergence at scale',
    '',
    `Measured ${machineLine(scale.machine)}.`,
    '',
    `Metacontroller ${mc.version} flags: \`${mc.flags.join(' ')}\` (so \`--workers=${mc.workers}\`, ` +
      `client QPS ${mc.qps}, burst ${mc.burst}). N PythonLambdas are created at once in a fresh namespace; ` +
      '"converged" is the time from the first create until every lambda has its ConfigMap, Deployment and Service ' +
      'and a status with `observedGeneration` and a `Ready` condition (seen through watches). The floor creates ' +
      "the same 3 × N children directly through the API server with Metacontroller's client settings " +
      `(a token bucket of ${mc.qps} QPS, burst ${mc.burst}, ${mc.workers} requests in flight).`,
    '',
    '| N | create N lambdas (s) | all children exist (s) | converged (s) | ms per lambda | floor: 3 × N writes (s) | converged ÷ floor | sync hook calls | Metacontroller writes per lambda |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of scale.runs) {
    lines.push(
      `| ${r.n} | ${fmt(r.createSeconds, 1)} | ${fmt(r.childrenSeconds, 1)} | ${r.timedOut ? 'timed out after ' : ''}${fmt(r.convergedSeconds, 1)} | ` +
        `${fmt((r.convergedSeconds / r.n) * 1000)} | ${fmt(r.floorSeconds, 1)} | ${fmt(r.convergedSeconds / r.floorSeconds, 2)} × | ` +
        `${fmt(r.hookCalls ?? NaN)} | ${fmt(metacontrollerWrites(r) / r.n, 1)} |`,
    );
  }
  const largest = [...scale.runs].sort((a, b) => b.n - a.n)[0];
  if (largest?.writes) {
    lines.push(
      '',
      `API writes until converged at N = ${largest.n} (from the API server's \`apiserver_request_total\`; ` +
        "`pythonlambdas POST` are the benchmark's own creates, the rest are Metacontroller's): " +
        Object.entries(largest.writes)
          .sort((a, b) => b[1] - a[1])
          .map(([what, count]) => `\`${what}\` ${fmt(count)}`)
          .join(', ') +
        '.',
    );
  }
  lines.push('', `![Convergence time against N](${basename(SCALE_CHART_PNG)})`, '');
  return lines.join('\n');
}

/** Writes Metacontroller made until convergence: all counted writes but the benchmark's creates. */
function metacontrollerWrites(run: ScaleRun): number {
  if (!run.writes) return NaN;
  return Object.entries(run.writes)
    .filter(([what]) => what !== 'pythonlambdas POST')
    .reduce((sum, [, count]) => sum + count, 0);
}

function profileSection(results: Results): string {
  const profiles = results.profiles ?? [];
  const lines = ['## 4. Profiles, fixes, before and after', ''];
  const findings = join(ROOT, 'bench', 'findings.md');
  if (existsSync(findings)) lines.push(readFileSync(findings, 'utf8').trim(), '');
  if (profiles.length) {
    lines.push(
      'Self time of our service under `node --cpu-prof` at the maximum rate, by module (`make bench-profile`):',
      '',
      '| profile | request | req/s under the profiler | top self time |',
      '| --- | --- | ---: | --- |',
    );
    for (const p of profiles) {
      const top = p.top
        .slice(0, 7)
        .map(
          (t) => `${t.fn.replace(/^(?:.*\/)?dist\/src\/(.*)\.js$/, 'src/$1.ts')} ${t.selfPercent}%`,
        )
        .join(', ');
      lines.push(
        `| ${p.label} (${p.when.slice(0, 10)}) | ${p.case} | ${fmt(p.requestsPerSecond)} | ${top} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

function hookChart(hooks: HookResults): void {
  const png = svgToPng(
    barChartSvg({
      title: 'Hook throughput relative to the ceiling (median req/s above each bar)',
      yLabel: 'throughput ÷ ceiling',
      series: present(hooks),
      groups: hooks.cases.map((c) => ({
        label: `${c.name} (${fmt(c.requestBytes / 1024)} KiB)`,
        values: present(hooks).map((name) => ratio(c, name, 'ceiling')),
        labels: present(hooks).map((name) => fmt(rps(server(c, name)))),
      })),
      line: { value: 0.7, label: 'target for ours: 0.7 × ceiling' },
    }),
  );
  writeFileSync(CHART_PNG, png);
}

function scaleChart(scale: ScaleResults): void {
  const runs = [...scale.runs].sort((a, b) => a.n - b.n);
  const png = svgToPng(
    lineChartSvg({
      title: 'Convergence time against the number of PythonLambdas',
      xLabel: 'N (PythonLambdas created at once)',
      yLabel: 'seconds',
      series: [
        {
          name: 'converged (children + status)',
          points: runs.map((r) => [r.n, r.convergedSeconds]),
        },
        {
          name: 'floor (the same 3 × N writes, direct)',
          points: runs.map((r) => [r.n, r.floorSeconds]),
        },
      ],
    }),
  );
  writeFileSync(SCALE_CHART_PNG, png);
}

export async function writeReport(): Promise<void> {
  const results = readResults();
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Generated by `make bench` from docs/benchmarks.json (bench/report.ts); edit bench/findings.md instead. -->',
    '',
    'How fast the hook service, the Python runtime and the whole control loop are, against a ceiling and a peer ' +
      'measured on the same machine in the same run. `bench/README.md` says how to run it and how to read it. ' +
      'These are measurements on a shared 2-core machine, not guarantees: read the ranges as well as the medians.',
    '',
    '## Targets (issue 7)',
    '',
    '| what | target | measured | result |',
    '| --- | --- | ---: | --- |',
    ...targets(results).map(
      (t) => `| ${t.what} | ${t.target} | ${t.measured} | ${verdict(t.pass)} |`,
    ),
    '',
  ];
  if (results.hooks) {
    hookChart(results.hooks);
    lines.push(
      `![Hook throughput relative to the ceiling](${basename(CHART_PNG)})`,
      '',
      hookSection(results.hooks),
    );
  }
  if (results.runtime) lines.push(runtimeSection(results.runtime));
  if (results.scale) scaleChart(results.scale);
  lines.push(scaleSection(results), profileSection(results));
  if (results.delivery) lines.push(deliverySection(results.delivery));
  const options = (await prettier.resolveConfig(RESULTS_MD)) ?? {};
  writeFileSync(
    RESULTS_MD,
    await prettier.format(lines.join('\n'), { ...options, parser: 'markdown' }),
  );
  progress(
    `report: wrote ${[
      RESULTS_MD,
      results.hooks ? CHART_PNG : '',
      results.scale ? SCALE_CHART_PNG : '',
    ]
      .filter(Boolean)
      .map((f) => f.slice(ROOT.length + 1))
      .join(', ')}`,
  );
}
