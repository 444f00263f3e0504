// How many generated requests each property sends, and the tally printed at the end. The runs
// are sized for `make test` on two busy cores; PROPERTY_RUNS_SCALE=10 fuzzes ten times longer,
// and PROPERTY_SEED=<n> replays a run (fast-check prints the seed and path of any failure).
import fc from 'fast-check';

const scale = Number(process.env.PROPERTY_RUNS_SCALE ?? '1');
const seed =
  process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);

/** Runs of each property in one `make test`, sized for about 30 s on two busy cores. */
export const RUNS = {
  pythonlambdaSync: 1000,
  pythonlambdaFeedback: 800,
  pythonlambdaFinalize: 400,
  deploymentSync: 800,
  deploymentFeedback: 700,
  deploymentFinalize: 300,
  malformedRequests: 2600,
  etag: 200,
};

/** Requests each run generates at least (feedback runs send three, ETag runs two bodies). */
export const REQUESTS_PER_RUN: Record<keyof typeof RUNS, number> = {
  pythonlambdaSync: 1,
  pythonlambdaFeedback: 3,
  pythonlambdaFinalize: 1,
  deploymentSync: 1,
  deploymentFeedback: 3,
  deploymentFinalize: 1,
  malformedRequests: 1,
  etag: 2,
};

export const MIN_GENERATED_REQUESTS = 10_000;

const started = new Set<string>();

/** Whether every property ran in this process (not filtered out with --grep). */
export function allPropertiesRan(): boolean {
  return started.size === Object.keys(RUNS).length;
}

export function runs(property: keyof typeof RUNS): number {
  return Math.max(
    1,
    Math.round(RUNS[property] * (Number.isFinite(scale) && scale > 0 ? scale : 1)),
  );
}

export function assertParameters(property: keyof typeof RUNS): fc.Parameters<unknown> {
  started.add(property);
  tally.started ||= Date.now();
  return {
    numRuns: runs(property),
    ...(seed === undefined || !Number.isFinite(seed) ? {} : { seed }),
    // A bound on the whole property, shrinking included: a hang fails instead of stalling CI.
    interruptAfterTimeLimit: 120_000,
    markInterruptAsFailure: true,
  };
}

const tally = { generated: 0, calls: 0, started: 0, ended: 0 };

/** Counts a request body the generators built (feedback requests built from answers included). */
export function countGenerated(n = 1): void {
  tally.generated += n;
}

/** Counts the HTTP calls of a finished suite (generated requests, repeats and feedback). */
export function countCalls(n: number): void {
  tally.calls += n;
  tally.ended = Date.now();
}

export function tallyLine(): string {
  const seconds = ((Math.max(tally.ended, tally.started) - tally.started) / 1000).toFixed(1);
  return `${tally.generated} generated requests, ${tally.calls} HTTP calls in ${seconds} s`;
}

export function generatedSoFar(): number {
  return tally.generated;
}
