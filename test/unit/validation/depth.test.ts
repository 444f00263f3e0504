import { expect } from 'chai';
import fc from 'fast-check';
import { tooDeepAt } from '../../../src/validation/depth.js';

/** `levels` objects and arrays nested in turn, the innermost empty: `{"a":[{"a":[]}]}`. */
function nested(levels: number): unknown {
  let value: unknown = levels % 2 === 0 ? {} : [];
  for (let i = levels - 1; i > 0; i -= 1) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

describe('tooDeepAt', () => {
  it('passes nesting up to the bound and names the first object past it', () => {
    expect(tooDeepAt(nested(4), 3)).to.equal(undefined);
    expect(tooDeepAt(nested(5), 3)).to.equal('/0/a/0/a');
    expect(tooDeepAt({ ok: { b: 1 }, deep: [[[[]]]] }, 3)).to.equal('/deep/0/0/0');
    expect(tooDeepAt('text', 0)).to.equal(undefined);
  });

  it('agrees with a plain walk of every value', () => {
    const depthOf = (value: unknown): number =>
      value && typeof value === 'object'
        ? 1 + Math.max(0, ...Object.values(value).map(depthOf))
        : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), (value, max) => {
        const found = tooDeepAt(value, max);
        expect(found !== undefined, JSON.stringify(value)).to.equal(depthOf(value) - 1 > max);
      }),
      { numRuns: 1000 },
    );
  });

  it('walks a nesting far past the bound without running out of stack', () => {
    expect(tooDeepAt(nested(100_000))).to.be.a('string');
  });
});
