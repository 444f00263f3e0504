// `make bench` and friends call this: tsx bench/main.ts <part>... (hooks, runtime, delivery,
// scale, profile, stages, report). Each part writes its section of docs/benchmarks.json; `report` renders
// docs/benchmarks.md and the charts from that file.
import { progress } from './lib/log.js';

const PARTS: Record<string, () => Promise<void>> = {
  hooks: async () => (await import('./hooks.js')).runHooks(),
  runtime: async () => (await import('./runtime.js')).runRuntime(),
  delivery: async () => (await import('./delivery.js')).runDelivery(),
  scale: async () => (await import('./scale.js')).runScale(),
  profile: async () => (await import('./profile.js')).runProfile(),
  stages: async () => (await import('./stages.js')).runStages(),
  report: async () => (await import('./report.js')).writeReport(),
};

async function main(): Promise<void> {
  const parts = process.argv.slice(2);
  const unknown = parts.filter((p) => !(p in PARTS));
  if (parts.length === 0 || unknown.length > 0) {
    process.stderr.write(`usage: tsx bench/main.ts ${Object.keys(PARTS).join('|')}...\n`);
    process.exit(2);
  }
  for (const part of parts) await PARTS[part]!();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
