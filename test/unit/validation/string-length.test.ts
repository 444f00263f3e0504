import { expect } from 'chai';
import fc from 'fast-check';
import {
  MAX_LENGTH_KEYWORD,
  MIN_LENGTH_KEYWORD,
  withFastStringLengths,
  withinMaxLength,
  withinMinLength,
} from '../../../src/validation/string-length.js';
import {
  compiledValidator,
  createSchemaRegistry,
} from '../../../src/validation/schema-registry.js';

describe('maxLength and minLength without counting every string', () => {
  it('agrees with counting code points, astral characters and lone surrogates included', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc
        .array(fc.constantFrom('a', '😀', '\ud800', '\udc00', 'é'), { maxLength: 12 })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, fc.nat(14), (value, limit) => {
        expect(withinMaxLength(value, limit)).to.equal([...value].length <= limit);
        expect(withinMinLength(value, limit)).to.equal([...value].length >= limit);
      }),
      { numRuns: 2000 },
    );
  });

  it('rewrites the keywords only, not properties or data named like them', () => {
    const schema = withFastStringLengths({
      type: 'object',
      properties: {
        maxLength: { type: 'string', maxLength: 3, minLength: 1 },
        kind: { enum: [{ maxLength: 1 }] },
      },
    });
    expect(schema).to.deep.equal({
      type: 'object',
      properties: {
        maxLength: { type: 'string', [MAX_LENGTH_KEYWORD]: 3, [MIN_LENGTH_KEYWORD]: 1 },
        kind: { enum: [{ maxLength: 1 }] },
      },
    });
  });

  it('refuses spec.code one code point past its limits with the usual messages', () => {
    const validate = compiledValidator(
      createSchemaRegistry({ useDefaults: true }),
      'pythonlambda-spec.schema.json',
    );
    expect(validate({ code: '😀'.repeat(1048576) })).to.equal(true);
    expect(validate({ code: '😀'.repeat(1048577) })).to.equal(false);
    expect(validate.errors?.map((e) => [e.instancePath, e.keyword, e.message])).to.deep.equal([
      ['/code', 'maxLength', 'must NOT have more than 1048576 characters'],
    ]);
    expect(validate({ code: '' })).to.equal(false);
    expect(validate.errors?.map((e) => [e.instancePath, e.keyword, e.message])).to.deep.equal([
      ['/code', 'minLength', 'must NOT have fewer than 1 characters'],
    ]);
  });
});
