// The load generator: autocannon's CLI in a process of its own (so it never shares an event loop
// with a server), bounded by duration and by a request count, and killed if it overstays.
import { AUTOCANNON } from './paths.js';
import { runCommand } from './processes.js';

export interface LoadOptions {
  url: string;
  /** File holding the request body (POSTed as application/json); GET when absent. */
  bodyFile?: string;
  connections: number;
  durationSeconds: number;
  /** Requests per second over all connections (autocannon -R); the maximum when absent. */
  rate?: number;
  /** Hard cap on the number of requests (autocannon -O). */
  maxRequests: number;
  /**
   * autocannon -I: each `[<id>]` in the body becomes a new random id on every request, so no two
   * requests have the same bytes and no response cache can answer one.
   */
  distinct?: boolean;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
}

interface AutocannonJson {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; average: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  '2xx': number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = [
    AUTOCANNON,
    '--json',
    '--no-progress',
    '-c',
    String(options.connections),
    '-d',
    String(options.durationSeconds),
    '-O',
    String(options.maxRequests),
    '-t',
    '10',
  ];
  if (options.bodyFile) {
    args.push('-m', 'POST', '-H', 'content-type=application/json', '-i', options.bodyFile);
  }
  if (options.distinct) args.push('-I');
  if (options.rate) args.push('-R', String(Math.max(1, Math.round(options.rate))));
  args.push(options.url);
  const result = await runCommand(process.execPath, args, {
    timeoutMs: (options.durationSeconds + 30) * 1000,
  });
  if (result.code !== 0) {
    throw new Error(`autocannon exited with ${result.code}: ${result.stderr.slice(-2000)}`);
  }
  const json = JSON.parse(result.stdout) as AutocannonJson;
  const seconds = json.duration;
  return {
    requestsPerSecond: json['2xx'] / seconds,
    p50Ms: json.latency.p50,
    p99Ms: json.latency.p99,
    meanMs: json.latency.average,
    requests: json.requests.total,
    non2xx: json.non2xx,
    errors: json.errors,
    timeouts: json.timeouts,
    seconds,
  };
}
