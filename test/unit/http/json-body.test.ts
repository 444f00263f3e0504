import { expect } from 'chai';
import { InvalidJsonError, parseJsonBody } from '../../../src/http/json-body.js';

const parse = (text: string) => parseJsonBody(Buffer.from(text, 'utf8'));

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

  it('reads an empty body as an empty object, for validation to name what is missing', () => {
    expect(parseJsonBody(Buffer.alloc(0))).to.deep.equal({});
  });

  it('refuses bare values and broken JSON with InvalidJsonError', () => {
    for (const text of ['null', '42', '"a string"', 'true', '{"parent": ', '{parent: 1}', ' ']) {
      expect(() => parse(text), text).to.throw(InvalidJsonError);
    }
  });

  it('refuses a __proto__ key anywhere, escaped or not', () => {
    for (const text of [
      '{"__proto__":{"polluted":true}}',
      '{"a":[{"__proto__":1}]}',
      '{"\\u005f_proto__":{}}',
    ]) {
      expect(() => parse(text), text).to.throw(InvalidJsonError, /prototype/);
    }
    expect(parse('{"constructor":{"prototype":{}}}')).to.deep.equal({
      constructor: { prototype: {} },
    });
  });
});
