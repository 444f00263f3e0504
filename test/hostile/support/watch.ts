// Watching a real webhook process while an attack runs: how slow /healthz got (the kubelet's
// view) and how much memory the process held. Both stop when the attack's promise settles, and
// both are bounded (samples, probes) whatever the attack does.
import { readFileSync } from 'node:fs';
import { call } from './client.js';

export interface Watched<T> {
  result: T;
  /** The slowest /healthz answer in ms; Infinity if one failed or was not 200. */
  slowestHealthz: number;
  /** The highest VmRSS sampled, in bytes. */
  peakRss: number;
}

/** VmRSS of `pid`, in bytes: what it holds resident now. */
export function vmRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attack` while probing /healthz every 100 ms (at most 600 probes, 10 s each) and sampling
 * the process's VmRSS every 20 ms (at most 6,000 samples).
 */
export async function watchWebhook<T>(
  webhook: { port: number; pid: number },
  attack: () => Promise<T>,
): Promise<Watched<T>> {
  let running = true;
  let slowestHealthz = 0;
  let peakRss = vmRss(webhook.pid);
  const sampler = (async () => {
    for (let i = 0; i < 6_000 && running; i += 1) {
      peakRss = Math.max(peakRss, vmRss(webhook.pid));
      await pause(20);
    }
  })();
  const prober = (async () => {
    for (let i = 0; i < 600 && running; i += 1) {
      const probe = await call({
        port: webhook.port,
        path: '/healthz',
        agent: false,
        timeoutMs: 10_000,
      });
      if (probe.kind === 'response' && probe.status === 200) {
        slowestHealthz = Math.max(slowestHealthz, probe.endedAt - probe.startedAt);
      } else slowestHealthz = Infinity;
      await pause(100);
    }
  })();
  try {
    const result = await attack();
    return { result, slowestHealthz, peakRss };
  } finally {
    running = false;
    await Promise.all([sampler, prober]);
  }
}
