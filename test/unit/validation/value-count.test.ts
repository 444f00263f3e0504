import { expect } from 'chai';
import fc from 'fast-check';
import { holdsMoreParsedValuesThan } from '../../../src/validation/value-count.js';

function countValues(value: unknown): number {
  if (value === null || typeof value !== 'object') return 1;
  const members = Array.isArray(value) ? value : Object.values(value);
  return 1 + members.reduce((sum: number, member) => sum + countValues(member), 0);
}

describe('holdsMoreParsedValuesThan', () => {
  it('counts the value itself and every member and element, not keys', () => {
    const value = { a: [1, 'x', null], b: {} }; // the object, a, 3 elements, b
    expect(holdsMoreParsedValuesThan(value, 6)).to.equal(false);
    expect(holdsMoreParsedValuesThan(value, 5)).to.equal(true);
    expect(holdsMoreParsedValuesThan('text', 1)).to.equal(false);
    expect(holdsMoreParsedValuesThan('text', 0)).to.equal(true);
  });

  it('agrees with a full count on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(60), (value, max) => {
        expect(holdsMoreParsedValuesThan(value, max)).to.equal(countValues(value) > max);
      }),
    );
  });

  it('stops early: a million-element array past a bound of 10 is decided without visiting it all', () => {
    let visited = 0;
    const elements = new Proxy(new Array<number>(1_000_000).fill(0), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) visited += 1;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(holdsMoreParsedValuesThan(elements, 10)).to.equal(true);
    expect(visited).to.be.below(20);
  });
});
