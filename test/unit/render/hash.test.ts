import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalJson, sha256Hex } from '../../../src/render/hash.js';

/** The same value with every object's keys inserted in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    );
  }
  return value;
}

describe('canonical JSON and content hashes', () => {
  it('sorts keys at every depth, as strings, and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).to.equal(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ '10': 1, '9': 2, '': 3, a: 4 })).to.equal('{"":3,"10":1,"9":2,"a":4}');
  });

  it('writes strings and scalars as JSON.stringify does, escapes included', () => {
    expect(canonicalJson('a "quoted" <b>\n\u2028')).to.equal(
      JSON.stringify('a "quoted" <b>\n\u2028'),
    );
    expect(canonicalJson([null, true, 1.5, undefined])).to.equal('[null,true,1.5,null]');
    expect(canonicalJson({ a: undefined, b: null })).to.equal('{"b":null}');
  });

  it('is JSON of the same value for any JSON value, whatever order its keys came in', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        // (Through JSON.stringify: -0 is written 0, by either.)
        expect(JSON.parse(text)).to.deep.equal(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(reversedKeys(value))).to.equal(text);
      }),
      { numRuns: 500 },
    );
  });

  it('hashes the canonical text, so key order never changes a hash', () => {
    expect(sha256Hex({ b: 1, a: 2 })).to.equal(sha256Hex({ a: 2, b: 1 }));
    expect(sha256Hex({ a: 2, b: 1 })).to.equal(
      createHash('sha256').update('{"a":2,"b":1}').digest('hex'),
    );
  });
});
