// Part 4: where does our service spend its time? Runs it under `node --cpu-prof` at the maximum
// rate on each request, and sums the profile's self time by function and by module (our src/,
// each package under node_modules, Node's internals, the garbage collector).
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { prepareCases, startOurs } from './hooks.js';
import { runLoad } from './lib/load.js';
import { formatNumber, progress } from './lib/log.js';
import { CACHE, ROOT, SERVER_ENTRY } from './lib/paths.js';
import { updateResults, type ProfileEntry } from './lib/results.js';
import { benchSettings } from './lib/settings.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

function moduleOf(url: string): string {
  if (!url) return '(native: V8 builtins, syscalls)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  const inModules = path.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const rest = path.slice(inModules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  // Any build of the service (dist/, or an earlier build elsewhere) by its source name.
  const source = path.lastIndexOf('/dist/src/');
  if (source >= 0) return `src/${path.slice(source + '/dist/src/'.length).replace(/\.js$/, '.ts')}`;
  return relative(ROOT, path);
}

export interface ProfileSummary {
  samples: number;
  byFunction: { fn: string; selfPercent: number }[];
  byModule: { fn: string; selfPercent: number }[];
}

export function summarize(profile: CpuProfile, top = 15): ProfileSummary {
  const selfHits = new Map<number, number>();
  for (const id of profile.samples) selfHits.set(id, (selfHits.get(id) ?? 0) + 1);
  const total = profile.samples.length || 1;
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = selfHits.get(node.id) ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${moduleOf(url)}:${lineNumber + 1}` : '';
    const fn = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
    const module = ['(garbage collector)', '(idle)', '(program)'].includes(functionName)
      ? functionName
      : moduleOf(url);
    byModule.set(module, (byModule.get(module) ?? 0) + hits);
  }
  const rank = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, hits]) => ({ fn, selfPercent: Math.round((hits / total) * 1000) / 10 }));
  return {
    samples: profile.samples.length,
    byFunction: rank(byFunction),
    byModule: rank(byModule),
  };
}

export async function runProfile(): Promise<void> {
  const settings = benchSettings();
  const label = process.env.BENCH_PROFILE_LABEL || 'profile';
  const wanted = (process.env.BENCH_PROFILE_CASES || 'realistic,large,decorator').split(',');
  const dir = join(CACHE, 'profiles');
  const logs = join(CACHE, 'logs');
  mkdirSync(logs, { recursive: true });
  const entries: ProfileEntry[] = [];
  for (const name of wanted) {
    const outDir = join(dir, `${label}-${name}`);
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const entry = process.env.BENCH_PROFILE_ENTRY || SERVER_ENTRY;
    // BENCH_PROFILE_UNCACHED=1 profiles the path every new request takes.
    const env: Record<string, string> = process.env.BENCH_PROFILE_UNCACHED
      ? { PYLAMBDA_RESPONSE_CACHE_BYTES: '0' }
      : {};
    const server = await startOurs(
      `profile-${label}-${name}`,
      entry,
      logs,
      ['--cpu-prof', `--cpu-prof-dir=${outDir}`],
      env,
    );
    let rate: number;
    try {
      const { cases, requests } = await prepareCases(server, join(CACHE, 'profile-cases'));
      const c = cases.find((x) => x.name === name);
      if (!c) throw new Error(`no case ${name}`);
      progress(`profile ${label}: ${name} at the maximum rate for ${settings.durationSeconds} s`);
      const result = await runLoad({
        url: server.baseUrl + c.path,
        bodyFile: join(requests, `${name}.json`),
        connections: settings.connections,
        durationSeconds: settings.durationSeconds,
        maxRequests: settings.durationSeconds * 50_000,
      });
      rate = result.requestsPerSecond;
    } finally {
      await server.stop(); // SIGTERM: the service exits and node writes the profile
    }
    const file = readdirSync(outDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile in ${outDir}`);
    const summary = summarize(JSON.parse(readFileSync(join(outDir, file), 'utf8')) as CpuProfile);
    progress(
      `profile ${label}: ${name}: ${formatNumber(rate)} req/s under the profiler; ${relative(ROOT, join(outDir, file))}`,
    );
    process.stdout.write('  self time by module:\n');
    for (const m of summary.byModule)
      process.stdout.write(`    ${m.selfPercent.toFixed(1).padStart(5)}%  ${m.fn}\n`);
    process.stdout.write('  self time by function:\n');
    for (const f of summary.byFunction)
      process.stdout.write(`    ${f.selfPercent.toFixed(1).padStart(5)}%  ${f.fn}\n`);
    entries.push({
      label,
      when: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      case: name,
      requestsPerSecond: Math.round(rate),
      top: summary.byModule.slice(0, 8),
    });
  }
  if (process.env.BENCH_PROFILE_SAVE) {
    updateResults((all) => {
      all.profiles = [...(all.profiles ?? []).filter((p) => p.label !== label), ...entries];
    });
  }
}
