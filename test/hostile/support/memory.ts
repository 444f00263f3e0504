// What a real process holds: its peak resident set (Linux /proc), and the heap and external
// memory its own /metrics report (prom-client's default metrics).
import { readFileSync } from 'node:fs';
import { call } from './client.js';

/** VmHWM of `pid`, in bytes: the most it was resident at any one time so far. */
export function peakRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  if (!line) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** One sample from the webhook's /metrics, by its exact name. */
export async function metricValue(port: number, name: string): Promise<number> {
  const reply = await call({ port, path: '/metrics', agent: false });
  if (reply.kind !== 'response') throw new Error(`/metrics: ${reply.message}`);
  const line = reply.text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(' ')[1]);
}

export const MiB = 1024 * 1024;
