import { expect } from 'chai';
import { InvalidJsonError, parseJsonBody } from '../../../src/http/json-body.js';
import fc from 'fast-check';
import { mayHoldMoreValuesThan, TooManyValuesError } from '../../../src/http/value-bound.js';
import { countJsonValues, JsonValueCounter } from '../../../src/validation/json-size.js';

const parse = (text: string) => parseJsonBody(Buffer.from(text, 'utf8'), undefined);

describe('parseJsonBody', () => {
  it('parses objects and arrays, after leading JSON whitespace', () => {
    expect(parse('{"parent":{"kind":"PythonLambda"}}')).to.deep.equal({
      parent: { kind: 'PythonLambda' },
    });
    expect(parse(' \t\r\n[1]')).to.deep.equal([1]);
  });

  it('reads UTF-8, including Go-escaped and astral characters', () => {
    expect(parse('{"code":"\\u003c\\u0026 é 😀"}')).to.deep.equal({ code: '<& é 😀' });
  });

  it('refuses a body that is not UTF-8, naming the first byte that is not', () => {
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    // A stray byte, a truncated sequence, an overlong encoding, a UTF-16 surrogate in UTF-8.
    for (const [bad, at] of [
      [[0xff], 9],
      [[0xe2, 0x82], 9],
      [[0xc0, 0xaf], 9],
      [[0xed, 0xa0, 0x80], 9],
    ] as const) {
      const raw = bytes('{"a":"é ', [...bad], '"}');
      expect(() => parseJsonBody(raw, undefined), JSON.stringify(bad)).to.throw(
        InvalidJsonError,
        `not UTF-8 (RFC 8259 §8.1) from byte ${at}`,
      );
    }
    // Every byte of a valid multi-byte character is left alone.
    expect(parseJsonBody(bytes('{"a":"€😀"}'), undefined)).to.deep.equal({ a: '€😀' });
  });

  it('skips a UTF-8 byte order mark', () => {
    expect(parse('\ufeff{"a":1}')).to.deep.equal({ a: 1 });
    expect(() => parse('\ufeff\ufeff{}')).to.throw(InvalidJsonError);
  });

  it('reads an empty body as an empty object, for validation to name what is missing', () => {
    expect(parseJsonBody(Buffer.alloc(0), undefined)).to.deep.equal({});
  });

  it('refuses bare values and broken JSON with InvalidJsonError', () => {
    for (const text of ['null', '42', '"a string"', 'true', '{"parent": ', '{parent: 1}', ' ']) {
      expect(() => parse(text), text).to.throw(InvalidJsonError);
    }
  });

  it('refuses a __proto__ key anywhere, with any of its letters escaped', () => {
    const escapes: Record<string, string[]> = {
      _: ['\\u005f', '\\u005F'],
      p: ['\\u0070'],
      r: ['\\u0072'],
      o: ['\\u006f', '\\u006F'],
      t: ['\\u0074'],
    };
    const spellings = ['__proto__'];
    for (let i = 0; i < '__proto__'.length; i++) {
      for (const escape of escapes['__proto__'[i]!] ?? []) {
        spellings.push(`${'__proto__'.slice(0, i)}${escape}${'__proto__'.slice(i + 1)}`);
      }
    }
    expect(spellings).to.have.length(16);
    for (const text of [
      ...spellings.map((key) => `{"code":"a \\u003c b","${key}":{"polluted":true}}`),
      '{"a":[{"__proto__":1}]}',
    ]) {
      expect(() => parse(text), text).to.throw(InvalidJsonError, /prototype/);
    }
    expect(parse('{"constructor":{"prototype":{}}}')).to.deep.equal({
      constructor: { prototype: {} },
    });
    expect(parse('{"code":"__proto__ \\u005f \\u003c"}')).to.deep.equal({
      code: '__proto__ _ <',
    });
  });
});

describe('the value bound (PYLAMBDA_MAX_JSON_VALUES)', () => {
  it('counts objects, arrays, strings, keys, numbers and literals on the bytes', () => {
    const raw = Buffer.from('{"a": [1, -2.5e3, true, null, "x\\"]"], "b": {}}', 'utf8');
    expect(countJsonValues(raw, 100)).to.equal(10);
  });

  it('refuses a body over the bound before parsing, when it was not counted as it arrived', () => {
    const raw = Buffer.from(`{"m":[${'{},'.repeat(99)}{}]}`, 'utf8');
    expect(() => parseJsonBody(raw, 50)).to.throw(TooManyValuesError, 'PYLAMBDA_MAX_JSON_VALUES');
    expect(parseJsonBody(raw, 103)).to.have.property('m');
    expect(parseJsonBody(raw, undefined), 'counted already').to.have.property('m');
  });

  it('counts no body of at most the bound in bytes: it cannot hold more values than bytes', () => {
    fc.assert(
      fc.property(fc.json(), fc.integer({ min: 0, max: 60 }), (text, max) => {
        const raw = Buffer.from(text, 'utf8');
        if (!mayHoldMoreValuesThan(raw.length, max)) {
          expect(countJsonValues(raw, max)).to.be.at.most(max);
        }
      }),
      { numRuns: 2000 },
    );
    expect(mayHoldMoreValuesThan(undefined, 10), 'a body of unknown length').to.equal(true);
    expect(countJsonValues(Buffer.from('0'), 1)).to.equal(1);
    expect(countJsonValues(Buffer.from('[0,0]'), 2)).to.equal(3);
  });
});

describe('JsonValueCounter', () => {
  // JSON and near-JSON: runs of backslashes and quotes are where a chunk boundary can mislead.
  const text = fc.oneof(
    fc.json(),
    fc.string({
      unit: fc.constantFrom('"', '\\', 'a', '1', ' ', ',', '[', ']', '{', '}', ':', 'n'),
    }),
  );

  it('counts what the whole body counts, however the body is cut into chunks', () => {
    fc.assert(
      fc.property(
        text,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 0, max: 80 }),
        (body, cuts, max) => {
          const raw = Buffer.from(body, 'utf8');
          const points = [...new Set(cuts.map((c) => c % (raw.length + 1)))].sort((a, b) => a - b);
          const counter = new JsonValueCounter(max);
          let count = 0;
          let from = 0;
          for (const to of [...points, raw.length]) {
            count = counter.push(raw.subarray(from, to));
            from = to;
            if (count > max) break;
          }
          expect(count).to.equal(countJsonValues(raw, max));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('carries an escape across chunks: a quote after an odd run of backslashes is inside the string', () => {
    const counter = new JsonValueCounter(100);
    counter.push(Buffer.from('["a\\\\\\'));
    expect(counter.push(Buffer.from('", 1] 2'))).to.equal(2);
    expect(counter.push(Buffer.from('" 3'))).to.equal(3);
  });
});
