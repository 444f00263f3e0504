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

  it('is the text of sorting every key and calling JSON.stringify, escapes and lone surrogates included', () => {
    // Stored hashes (pylambda.dev/template-hash, pylambda.dev/spec-hash) depend on this exact text.
    const sortedCopy = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(sortedCopy);
      if (value && typeof value === 'object') {
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(value).sort()) {
          // Defined, not assigned: assigning an own `__proto__` key would set the copy's
          // prototype instead and drop the key, which JSON.stringify of the value writes.
          Object.defineProperty(out, key, {
            value: sortedCopy((value as Record<string, unknown>)[key]),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      }
      return value;
    };
    const anyText = fc.string({ unit: 'binary' });
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        anyText,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('node')),
        fc.dictionary(anyText, tie('node')),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        // Objects whose keys look like array indices enumerate those first: sortedCopy's text
        // then keeps V8's order, so compare on objects without them.
        fc.pre(!/"\d+":/.test(JSON.stringify(v)));
        expect(canonicalJson(v)).to.equal(JSON.stringify(sortedCopy(v)));
      }),
      { numRuns: 1000 },
    );
    // An own `__proto__` key (fast-check found it; seed -1834886894) is written like any other.
    const ownProto = Object.defineProperty({}, '__proto__', { value: '', enumerable: true });
    expect(canonicalJson([ownProto])).to.equal('[{"__proto__":""}]');
    expect(canonicalJson([ownProto])).to.equal(JSON.stringify([ownProto]));
    for (const text of ['\ud800', 'a\udc00b', '\u0000\u001f\u007f', '"\\', '\u2028\u2029', '😀']) {
      expect(canonicalJson({ [text]: text })).to.equal(
        `{${JSON.stringify(text)}:${JSON.stringify(text)}}`,
      );
    }
  });

  it('hashes the canonical text, so key order never changes a hash', () => {
    expect(sha256Hex({ b: 1, a: 2 })).to.equal(sha256Hex({ a: 2, b: 1 }));
    expect(sha256Hex({ a: 2, b: 1 })).to.equal(
      createHash('sha256').update('{"a":2,"b":1}').digest('hex'),
    );
  });
});
