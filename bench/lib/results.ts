// docs/benchmarks.json: the raw numbers of the last run of each part. Each part replaces its own
// section, so `make bench-scale` alone keeps the hook and runtime numbers of the last full run.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BodyBound } from '../body-bound.js';
import type { ReleaseSizes } from '../sizes.js';
import { RESULTS_JSON } from './paths.js';

export interface Machine {
  date: string;
  node: string;
  python: string;
  cpus: string;
  cores: number;
  loadBefore: number[];
  loadAfter: number[];
  commit: string;
}

export interface RunNumbers {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** Server CPU time (user + system) per answered request during the run. */
  cpuUsPerRequest?: number;
}

export interface ServerCaseResult {
  server: string;
  /** One entry per run at the maximum rate. */
  max: RunNumbers[];
  /** Rate asked of autocannon for the half-rate runs (half this server's median maximum). */
  halfRate: number;
  half: RunNumbers[];
  responseBytes: number;
}

export interface CaseResult {
  name: string;
  title: string;
  requestBytes: number;
  servers: ServerCaseResult[];
}

export interface HookResults {
  machine: Machine;
  settings: { connections: number; durationSeconds: number; runs: number; warmupSeconds: number };
  servers: Record<string, string>;
  cases: CaseResult[];
}

export interface RuntimeResults {
  machine: Machine;
  settings: { connections: number; durationSeconds: number; runs: number; coldStarts: number };
  runtime: RunNumbers[];
  echo: RunNumbers[];
  coldStartMs: number[];
  echoColdStartMs: number[];
}

export interface ScaleRun {
  n: number;
  /** Seconds from the first create until every lambda has its 3 children and a status. */
  convergedSeconds: number;
  /** Seconds to create the n PythonLambdas themselves. */
  createSeconds: number;
  /** Seconds until the last child existed (status aside). */
  childrenSeconds: number;
  /** Seconds to create the 3n children directly with the same client settings. */
  floorSeconds: number;
  hookCalls?: number;
  /** API server writes (ours: PythonLambda creates; Metacontroller: the rest) until converged. */
  writes?: Record<string, number>;
  timedOut: boolean;
}

export interface ScaleResults {
  machine: Machine;
  metacontroller: { version: string; flags: string[]; workers: number; qps: number; burst: number };
  runs: ScaleRun[];
}

export interface ProfileEntry {
  label: string;
  when: string;
  case: string;
  requestsPerSecond: number;
  top: { fn: string; selfPercent: number }[];
}

export interface DeliveryLoad {
  server: string;
  /** Whose requests: today's shape, or the earlier build's (its own rendered children). */
  release: 'after' | 'before';
  case: string;
  /** distinct: every request different bytes (autocannon -I); repeated: one request again. */
  mode: 'distinct' | 'repeated';
  runs: RunNumbers[];
}

export interface DeliveryResults {
  machine: Machine;
  settings: { connections: number; durationSeconds: number; runs: number; warmupSeconds: number };
  before?: string;
  koa?: string;
  /** The build whose hooks repeat their first answer (bench/variants/shell-floor.sh), if run. */
  shellFloor?: string;
  sizes: Partial<Record<'after' | 'before', ReleaseSizes>>;
  loads: DeliveryLoad[];
  /** The body readers' memory bound (bench/body-bound.ts), when the variant was given. */
  bodyBound?: BodyBound[];
}

export interface Results {
  hooks?: HookResults;
  runtime?: RuntimeResults;
  scale?: ScaleResults;
  scaleSkipped?: string;
  profiles?: ProfileEntry[];
  delivery?: DeliveryResults;
}

export function readResults(): Results {
  if (!existsSync(RESULTS_JSON)) return {};
  return JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as Results;
}

export function updateResults(change: (results: Results) => void): Results {
  const results = readResults();
  change(results);
  mkdirSync(dirname(RESULTS_JSON), { recursive: true });
  writeFileSync(RESULTS_JSON, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}
