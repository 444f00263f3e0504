// The size of the generated-request suite: at least 10,000 requests per `make test`, counted
// statically from the runs of each property and printed, as sent, once every property ran.
import { expect } from 'chai';
import {
  allPropertiesRan,
  generatedSoFar,
  MIN_GENERATED_REQUESTS,
  REQUESTS_PER_RUN,
  RUNS,
  runs,
  tallyLine,
} from './support/budget.js';

describe('property: budget', () => {
  it(`generates at least ${MIN_GENERATED_REQUESTS} requests per run`, () => {
    const planned = (Object.keys(RUNS) as (keyof typeof RUNS)[]).reduce(
      (sum, property) => sum + RUNS[property] * REQUESTS_PER_RUN[property],
      0,
    );
    expect(planned).to.be.at.least(MIN_GENERATED_REQUESTS);
  });
});

// A root hook: runs once, after every suite of this mocha process.
after(function () {
  if (generatedSoFar() === 0) return;
  console.log(`\n  property tests: ${tallyLine()}`);
  if (allPropertiesRan()) {
    const planned = (Object.keys(RUNS) as (keyof typeof RUNS)[]).reduce(
      (sum, property) => sum + runs(property) * REQUESTS_PER_RUN[property],
      0,
    );
    expect(generatedSoFar(), 'generated requests sent').to.be.at.least(planned);
  }
});
