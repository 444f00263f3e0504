import { expect } from 'chai';
import {
  InvalidJsonError,
  parseJsonBody,
  TooManyValuesError,
} from '../../../src/http/json-body.js';
import fc from 'fast-check';
import { countJsonValues, holdsMoreValuesThan } from '../../../src/validation/json-size.js';

const parse = (text: string) => parseJsonBody(Buffer.from(text, 'utf8'), 1_000_000);

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

  it('skips a UTF-8 byte order mark', () => {
    expect(parse('\ufeff{"a":1}')).to.deep.equal({ a: 1 });
    expect(() => parse('\ufeff\ufeff{}')).to.throw(InvalidJsonError);
  });

  it('reads an empty body as an empty object, for validation to name what is missing', () => {
    expect(parseJsonBody(Buffer.alloc(0), 1_000_000)).to.deep.equal({});
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

describe('parseJsonBody value bound (PYLAMBDA_MAX_JSON_VALUES)', () => {
  it('counts objects, arrays, strings, keys, numbers and literals on the bytes', () => {
    const raw = Buffer.from('{"a": [1, -2.5e3, true, null, "x\\"]"], "b": {}}', 'utf8');
    expect(countJsonValues(raw, 100)).to.equal(10);
  });

  it('refuses a body over the bound before parsing, and names the setting', () => {
    const raw = Buffer.from(`{"m":[${'{},'.repeat(99)}{}]}`, 'utf8');
    expect(() => parseJsonBody(raw, 50)).to.throw(TooManyValuesError, 'PYLAMBDA_MAX_JSON_VALUES');
    expect(parseJsonBody(raw, 103)).to.have.property('m');
  });
});

describe('holdsMoreValuesThan', () => {
  it('is the count against the bound, also for bodies no longer than the bound (never scanned)', () => {
    fc.assert(
      fc.property(fc.json(), fc.integer({ min: 0, max: 60 }), (text, max) => {
        const raw = Buffer.from(text, 'utf8');
        expect(holdsMoreValuesThan(raw, max)).to.equal(countJsonValues(raw, max) > max);
      }),
      { numRuns: 2000 },
    );
    // One value per byte is the most a body can hold.
    expect(countJsonValues(Buffer.from('0'), 1)).to.equal(1);
    expect(holdsMoreValuesThan(Buffer.from('[0,0]'), 2)).to.equal(true);
  });
});
