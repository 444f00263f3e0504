// What the numbers were measured on: a shared 2-core machine's load matters as much as its CPU.
import { cpus, loadavg } from 'node:os';
import { round } from './stats.js';
import { PYTHON, ROOT } from './paths.js';
import { runCommand } from './processes.js';
import type { Machine } from './results.js';

export function load(): number[] {
  return loadavg().map((l) => round(l, 2));
}

export async function machine(loadBefore: number[]): Promise<Machine> {
  const python = await runCommand(PYTHON, ['--version'], { timeoutMs: 10_000 });
  const commit = await runCommand('git', ['rev-parse', '--short', 'HEAD'], {
    timeoutMs: 10_000,
    cwd: ROOT,
  });
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    node: process.version,
    python: (python.stdout || python.stderr).trim(),
    cpus: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadBefore,
    loadAfter: load(),
    commit: commit.stdout.trim() || 'unknown',
  };
}
