import { expect } from 'chai';
import fc from 'fast-check';
import {
  codeTooLargeMessage,
  configMapSize,
  DEFAULT_MAX_CODE_BYTES,
  rawDataBytes,
  SERVER_SIDE_APPLY_MAX_CODE_BYTES,
  storedDataBytes,
} from '../../../src/lambda/code-size.js';
import { configFromEnv } from '../../../src/config.js';
import { goJson } from '../../fixtures/go-json.js';

describe('code size', () => {
  describe('storedDataBytes (the data as Go’s JSON encoder writes it)', () => {
    it('counts the JSON text, quotes, keys and separators included', () => {
      expect(storedDataBytes({})).to.equal(2);
      // {"main.py":"ab"}
      expect(storedDataBytes({ 'main.py': 'ab' })).to.equal(16);
      // {"a":"x","b":"y"}
      expect(storedDataBytes({ a: 'x', b: 'y' })).to.equal(17);
    });

    it('counts UTF-8 bytes: é is 2, € is 3, an emoji 4', () => {
      const base = storedDataBytes({ a: '' });
      expect(storedDataBytes({ a: 'é' }) - base).to.equal(2);
      expect(storedDataBytes({ a: '€' }) - base).to.equal(3);
      expect(storedDataBytes({ a: '😀' }) - base).to.equal(4);
    });

    it('counts <, > and & as the six bytes of \\u003c, \\u003e and \\u0026', () => {
      const base = storedDataBytes({ a: '' });
      expect(storedDataBytes({ a: '<' }) - base).to.equal(6);
      expect(storedDataBytes({ a: '>' }) - base).to.equal(6);
      expect(storedDataBytes({ a: '&' }) - base).to.equal(6);
      expect(storedDataBytes({ a: 'if a < b and c > d & e:' }) - base).to.equal(23 + 3 * 5);
      // In keys too (not that a ConfigMap key can hold one).
      expect(storedDataBytes({ '<': '' })).to.equal(storedDataBytes({ a: '' }) + 5);
    });

    it('counts U+2028 and U+2029 as six bytes, not their three of UTF-8', () => {
      const base = storedDataBytes({ a: '' });
      expect(storedDataBytes({ a: '\u2028' }) - base).to.equal(6);
      expect(storedDataBytes({ a: '\u2029' }) - base).to.equal(6);
    });

    it('counts the escapes JSON itself needs: quote, backslash, newline, tab, control characters', () => {
      const base = storedDataBytes({ a: '' });
      expect(storedDataBytes({ a: '"' }) - base).to.equal(2);
      expect(storedDataBytes({ a: '\\' }) - base).to.equal(2);
      expect(storedDataBytes({ a: '\n\t\r' }) - base).to.equal(6);
      expect(storedDataBytes({ a: '\u0001' }) - base).to.equal(6);
    });

    it('is the byte length of the data marshalled as Go does, for any text', () => {
      const text = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({
          unit: fc.constantFrom('<', '>', '&', '\u2028', '\u2029', '"', '\\', '\n', 'é', 'x'),
        }),
      );
      fc.assert(
        fc.property(fc.dictionary(fc.string({ maxLength: 12 }), text, { maxKeys: 6 }), (data) => {
          expect(storedDataBytes(data)).to.equal(Buffer.byteLength(goJson(data), 'utf8'));
        }),
        { numRuns: 500 },
      );
    });
  });

  it('has a default under dynamic-apply’s 256 KiB annotation budget, and an SSA ceiling under 1 MiB', () => {
    expect(DEFAULT_MAX_CODE_BYTES).to.equal(250_000);
    expect(SERVER_SIDE_APPLY_MAX_CODE_BYTES).to.equal(1_040_000);
    // What is left of 256 KiB for the ConfigMap's metadata in the annotation, and the key.
    expect(256 * 1024 - DEFAULT_MAX_CODE_BYTES).to.be.at.least(10_000);
    expect(SERVER_SIDE_APPLY_MAX_CODE_BYTES).to.be.below(1024 * 1024);
    // Unset: the limit follows the strategy each request shows (see the sync hook).
    expect(configFromEnv({}).maxCodeBytes).to.equal(undefined);
    expect(configFromEnv({}).applyStrategy).to.equal(undefined);
    expect(configFromEnv({ PYLAMBDA_MAX_CODE_BYTES: '983040' }).maxCodeBytes).to.equal(983040);
  });

  it('CodeTooLarge names the size, what it counts, the limit, and how to raise it', () => {
    expect(codeTooLargeMessage(300_000, 250_000, 'dynamic-apply')).to.equal(
      'the code ConfigMap would hold 300000 bytes of JSON (spec.code, spec.files and ' +
        "spec.requirements), over this installation's limit of 250000 " +
        '(PYLAMBDA_MAX_CODE_BYTES on the webhook, apply strategy dynamic-apply). ' +
        "Metacontroller's default dynamic-apply strategy stores each child in an annotation " +
        'limited to 256 KiB; to serve more code, run Metacontroller with ' +
        '--apply-strategy=server-side-apply and set PYLAMBDA_APPLY_STRATEGY=server-side-apply on ' +
        'the webhook (limit 1040000 bytes; a ConfigMap holds at most 1 MiB).',
    );
    expect(codeTooLargeMessage(1_100_000, 1_040_000, 'server-side-apply')).to.equal(
      'the code ConfigMap would hold 1100000 bytes (spec.code, spec.files and ' +
        "spec.requirements), over this installation's limit of 1040000 " +
        '(PYLAMBDA_MAX_CODE_BYTES on the webhook, apply strategy server-side-apply). ' +
        'A ConfigMap holds at most 1 MiB: move large data out of the code (an image, a volume, object storage).',
    );
  });

  it('measures keys and values under server-side apply, the JSON under dynamic-apply', () => {
    const data = { 'main.py': 'a < b\n', 'x.txt': '&' };
    expect(rawDataBytes(data)).to.equal('main.py'.length + 6 + 'x.txt'.length + 1);
    expect(configMapSize(data, 'server-side-apply')).to.equal(rawDataBytes(data));
    expect(configMapSize(data, 'dynamic-apply')).to.equal(storedDataBytes(data));
    expect(storedDataBytes(data)).to.be.greaterThan(rawDataBytes(data));
    expect(configFromEnv({ PYLAMBDA_APPLY_STRATEGY: 'server-side-apply' }).maxCodeBytes).to.equal(
      1_040_000,
    );
    expect(() => configFromEnv({ PYLAMBDA_APPLY_STRATEGY: 'apply' })).to.throw(
      /PYLAMBDA_APPLY_STRATEGY/,
    );
  });
});
