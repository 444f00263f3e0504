// Run settings from the environment (see bench/README.md), with defaults for a full run.
function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name}=${JSON.stringify(raw)} must be a positive number`);
  }
  return value;
}

export function benchSettings() {
  return {
    /** Seconds per measured run. */
    durationSeconds: positive('BENCH_DURATION', 8),
    /** Measured runs per server and case; the median is reported. */
    runs: Math.round(positive('BENCH_RUNS', 5)),
    warmupSeconds: positive('BENCH_WARMUP', 3),
    /** Concurrent connections: Metacontroller's default --workers (5) keeps 5 calls in flight. */
    connections: Math.round(positive('BENCH_CONNECTIONS', 5)),
    coldStarts: Math.round(positive('BENCH_COLD_STARTS', 9)),
  };
}
