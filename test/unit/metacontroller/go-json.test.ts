// The test fixture that marshals requests as Metacontroller (Go's encoding/json) does.
import { expect } from 'chai';
import { goJson, goStruct } from '../../fixtures/go-json.js';

describe('fixture: goJson (Go encoding/json)', () => {
  it('sorts map keys as byte strings, integer-like keys included', () => {
    expect(goJson({ b: 1, 10: 2, a: 3, 9: 4, B: 5 })).to.equal('{"10":2,"9":4,"B":5,"a":3,"b":1}');
  });

  it('sorts keys by UTF-8 bytes, so characters beyond U+FFFF come after U+FFFD', () => {
    expect(goJson({ '\u{1F600}': 1, '\uFFFD': 2, é: 3 })).to.equal(
      '{"é":3,"\uFFFD":2,"\u{1F600}":1}',
    );
  });

  it('escapes <, >, &, U+2028 and U+2029 and leaves out undefined fields', () => {
    expect(goJson({ s: '<a>&\u2028\u2029', u: undefined, l: [undefined, 1] })).to.equal(
      '{"l":[null,1],"s":"\\u003ca\\u003e\\u0026\\u2028\\u2029"}',
    );
  });

  it('keeps struct fields in declaration order', () => {
    expect(
      goStruct([
        ['z', { y: 1, x: 2 }],
        ['a', null],
      ]),
    ).to.equal('{"z":{"x":2,"y":1},"a":null}');
  });
});
