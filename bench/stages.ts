// Part 6: where a response cache miss goes, step by step. Each step of hook-endpoint.ts's miss
// path runs in this process, in a loop, on the same requests the hook benchmark sends; the
// ceiling's own work (JSON.parse of the same bytes) is timed beside it, so the steps read as
// multiples of what the ceiling pays. What is left of a call over HTTP beyond these steps is the
// shell: Koa, the body reader, the log line and the metrics (compare `make bench-hooks`).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.js';
import { configFromEnv } from '../src/config.js';
import { hookContextFromConfig } from '../src/hooks/hook-context.js';
import { HOOKS } from '../src/hooks/hook-definitions.js';
import { etagOf } from '../src/http/etag.js';
import { parseJsonBody } from '../src/http/json-body.js';
import { mayHoldMoreValuesThan } from '../src/http/value-bound.js';
import { responseCacheKey, standaloneBytes } from '../src/http/response-cache.js';
import { countJsonValues } from '../src/validation/json-size.js';
import { tooDeepAt } from '../src/validation/depth.js';
import { compiledValidator, createSchemaRegistry } from '../src/validation/schema-registry.js';
import { buildCases, distinctBody, type BenchCase } from './lib/fixtures.js';
import { formatNumber, progress } from './lib/log.js';

/**
 * Distinct bodies per case, as autocannon -I makes them, so that no step sees the same bytes
 * twice: up to 2,000, and no more than about 32 MB of them (the 2 MiB case gets 20).
 */
function bodyCount(bytes: number): number {
  return Math.max(20, Math.min(2_000, Math.floor(32e6 / bytes)));
}
const ROUNDS = Number(process.env.BENCH_STAGE_ROUNDS || 5);

interface Step {
  name: string;
  /** One pass over every input. */
  run: () => void;
  inputs: number;
}

function step<T>(name: string, inputs: T[], work: (input: T) => unknown): Step {
  return {
    name,
    inputs: inputs.length,
    run: () => {
      for (const input of inputs) work(input);
    },
  };
}

/**
 * Microseconds per call of each step, the median of ROUNDS rounds. The steps take turns within
 * a round, so a noisy moment of a shared machine, or the collector, falls on all of them alike;
 * the first round warms up and is not counted.
 */
function timeSteps(steps: Step[]): number[] {
  const samples = steps.map(() => [] as number[]);
  for (let round = 0; round <= ROUNDS; round += 1) {
    steps.forEach((s, i) => {
      const started = process.hrtime.bigint();
      s.run();
      const us = Number(process.hrtime.bigint() - started) / 1e3 / s.inputs;
      if (round > 0) samples[i]!.push(us);
    });
  }
  return samples.map((us) => us.sort((a, b) => a - b)[Math.floor(us.length / 2)]!);
}

/** The bench's requests, rendered by the service itself (as bench-hooks builds them). */
async function benchCases(): Promise<BenchCase[]> {
  const server = createServer(createApp().callback()).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    return await buildCases(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.close();
  }
}

export async function runStages(): Promise<void> {
  process.env.LOG_LEVEL = 'silent';
  process.env.PYLAMBDA_APPLY_STRATEGY ??= 'server-side-apply';
  const config = configFromEnv();
  const hookContext = hookContextFromConfig(config, () => new Date());
  const schemas = createSchemaRegistry({ allErrors: false }); // as app.ts validates requests
  for (const c of await benchCases()) {
    const hook = HOOKS.find((h) => h.path === c.path.split('?')[0]);
    if (!hook) throw new Error(`bench: no hook serves ${c.path}`);
    const validate = compiledValidator(schemas, hook.requestSchema);
    const template = distinctBody(c);
    const raws = Array.from({ length: bodyCount(template.length) }, (_, i) =>
      Buffer.from(template.replace('[<id>]', String(i))),
    );
    const parsed = raws.map((raw) => parseJsonBody(raw, undefined));
    const answers = parsed.map((body) => JSON.stringify(hook.handle(body as never, hookContext)));
    const answerValues = answers.map((answer) => JSON.parse(answer) as unknown);
    const steps = [
      step('the ceiling: JSON.parse', raws, (raw) => JSON.parse(raw.toString('utf8'))),
      step('cache key (sha256 of the bytes)', raws, (raw) => responseCacheKey(hook.name, raw)),
      // Counted as the body is read, and only for a body longer than the bound in bytes.
      step('value bound', raws, (raw) =>
        mayHoldMoreValuesThan(raw.length, config.maxJsonValues)
          ? countJsonValues(raw, config.maxJsonValues)
          : 0,
      ),
      step('parse (bourne)', raws, (raw) => parseJsonBody(raw, undefined)),
      step('nesting depth', parsed, (body) => tooDeepAt(body)),
      step('schema (ajv)', parsed, (body) => validate(body)),
      step('hook (render, status)', parsed, (body) => hook.handle(body as never, hookContext)),
      step('answer JSON', answerValues, (value) => JSON.stringify(value)),
      step('ETag', answers, (answer) => etagOf(answer)),
      step('answer bytes', answers, (answer) => standaloneBytes(answer)),
    ];
    const times = timeSteps(steps);
    const ceiling = times[0]!;
    const ours = times.slice(1).reduce((sum, us) => sum + us, 0);
    progress(
      `stages: ${c.name} (${formatNumber(raws[0]!.length)} bytes, ${raws.length} distinct bodies)`,
    );
    for (const [i, { name }] of steps.entries()) {
      const us = times[i]!;
      process.stdout.write(
        `  ${name.padEnd(34)} ${us.toFixed(1).padStart(7)} µs  ${(us / ceiling).toFixed(2)} × the ceiling's parse\n`,
      );
    }
    process.stdout.write(
      `  ${'all steps of a miss'.padEnd(34)} ${ours.toFixed(1).padStart(7)} µs  ${(ours / ceiling).toFixed(2)} × the ceiling's parse\n`,
    );
  }
}
