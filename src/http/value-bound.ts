// PYLAMBDA_MAX_JSON_VALUES enforced on a body as it arrives: a request of millions of tiny
// values is refused at the first value past the bound, with only that much of it read, instead
// of after all of it (up to PYLAMBDA_BODY_LIMIT_BYTES) sits in memory.
import { Transform } from 'node:stream';
import { JsonValueCounter } from '../validation/json-size.js';

/** A body that holds more JSON values than PYLAMBDA_MAX_JSON_VALUES allows (answered 413). */
export class TooManyValuesError extends Error {
  constructor(maxValues: number) {
    super(`request body holds more than ${maxValues} JSON values (PYLAMBDA_MAX_JSON_VALUES)`);
  }
}

/**
 * Every value starts at a byte of its own, so a body of no more than `maxValues` bytes cannot
 * hold more: the usual hook request (tens of KiB against a default of 200,000) is not counted.
 */
export function mayHoldMoreValuesThan(declaredBytes: number | undefined, maxValues: number) {
  return declaredBytes === undefined || declaredBytes > maxValues;
}

/** Passes the body through unchanged, and fails with TooManyValuesError past the bound. */
export function valueBound(maxValues: number): Transform {
  const counter = new JsonValueCounter(maxValues);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (counter.push(chunk) > maxValues) done(new TooManyValuesError(maxValues));
      else done(null, chunk);
    },
  });
}
