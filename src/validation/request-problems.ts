// What is wrong with a hook request, if anything. A request that fails its schema is answered
// with every failing path, which is what a person calling a hook by hand wants; but ajv reports
// up to several errors per value, so the errors of a large invalid request cost many times its
// size (60,000 bad children: 180,000 problems, an 11 MB answer and about 100 MB of heap). So a
// request is checked by a validator that stops at its first error, and only a failing request
// of at most EVERY_PROBLEM_MAX_BYTES is checked again for all of them.
import type { Ajv } from 'ajv';
import { problemsFromAjv, type Problem } from './problems.js';
import { compiledValidator } from './schema-registry.js';

/** A failing request this small has all its problems listed: a few thousand at most. */
export const EVERY_PROBLEM_MAX_BYTES = 64 * 1024;

/** `firstError` and `allErrors` hold the same schemas, compiled without and with allErrors. */
export function requestProblems(registries: { firstError: Ajv; allErrors: Ajv }, schema: string) {
  const first = compiledValidator(registries.firstError, schema);
  const every = compiledValidator(registries.allErrors, schema);
  /** undefined for a valid request; `bytes` is the size of its body. */
  return function problemsOf(body: unknown, bytes: number): Problem[] | undefined {
    if (first(body)) return undefined;
    if (bytes > EVERY_PROBLEM_MAX_BYTES || every(body)) return problemsFromAjv(first.errors);
    return problemsFromAjv(every.errors);
  };
}
