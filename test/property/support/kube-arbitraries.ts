// Generators for the Kubernetes parts of hook requests: names at and past every length limit,
// labels, annotations, timestamps, and JSON values with unicode, huge strings and deep nesting.
import fc from 'fast-check';
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isLabelValue,
  isQualifiedName,
} from '../../fixtures/kube-validation.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');
const DIGITS = '0123456789'.split('');
const isAlnum = (c: string | undefined) => c !== undefined && /^[a-z0-9]$/.test(c);

/** Lengths that matter to Kubernetes names: short, and both sides of 63 and 253. */
export function nameLength(max: number): fc.Arbitrary<number> {
  const edges = [1, 2, 62, 63, 64, 200, 247, 248, 252, 253].filter((n) => n <= max);
  return fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: Math.min(20, max) }), weight: 5 },
    { arbitrary: fc.constantFrom(...edges), weight: 3 },
    { arbitrary: fc.integer({ min: 1, max }), weight: 2 },
  );
}

function nameCharacters(withDots: boolean): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...LETTERS), weight: 12 },
    { arbitrary: fc.constantFrom(...DIGITS), weight: 3 },
    { arbitrary: fc.constant('-'), weight: 2 },
    { arbitrary: fc.constant(withDots ? '.' : '-'), weight: 1 },
  );
}

/** Alphanumeric at both ends and around every dot: what the name regexes require. */
function repairName(chars: string[], firstLetter: boolean): string {
  const out = [...chars];
  for (let i = 0; i < out.length; i += 1) {
    const last = i === out.length - 1;
    if ((i === 0 || last) && !isAlnum(out[i])) out[i] = 'x';
    if (out[i] === '.' && (!isAlnum(out[i - 1]) || !isAlnum(out[i + 1]))) out[i] = 'x';
  }
  if (firstLetter && !/^[a-z]/.test(out[0] ?? '')) out[0] = 'l';
  return out.join('');
}

function kubeName(length: fc.Arbitrary<number>, withDots: boolean, firstLetter: boolean) {
  return length.chain((n) =>
    fc
      .array(nameCharacters(withDots), { minLength: n, maxLength: n })
      .map((chars) => repairName(chars, firstLetter)),
  );
}

/** A DNS-1123 subdomain (PythonLambda, Deployment, ConfigMap names), 1 to `max` characters. */
export function subdomainName(max = 253): fc.Arbitrary<string> {
  return kubeName(nameLength(max), true, false).filter(isDns1123Subdomain);
}

/** A DNS-1123 label (namespaces). */
export function labelName(max = 63): fc.Arbitrary<string> {
  return kubeName(nameLength(max), false, false).filter(isDns1123Label);
}

/** A DNS-1035 label (Service names). */
export function serviceName(): fc.Arbitrary<string> {
  return kubeName(nameLength(63), false, true).filter(isDns1035Label);
}

/** A name Kubernetes would never accept: unicode, upper case, odd dots; still at most 253 code points. */
export function oddName(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      'A..B',
      'a.-b',
      '-a',
      'a-',
      '.',
      '..',
      '9lives',
      'Hello.World',
      'İstanbul',
      'straße',
      'ﬃ'.repeat(90),
      'a\u0000b',
      '\ud800',
      '😀'.repeat(253),
      '_'.repeat(253),
      `${'a'.repeat(63)}.${'B'.repeat(63)}`,
    ),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
    subdomainName().map((name) => name.toUpperCase()),
  );
}

/** A label or annotation key (`[prefix/]name`). */
export function qualifiedKey(): fc.Arbitrary<string> {
  const name = fc
    .stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?$/)
    .filter((n) => n.length <= 63);
  return fc
    .tuple(fc.option(subdomainName(40), { nil: undefined }), name)
    .map(([prefix, n]) => (prefix ? `${prefix}/${n}` : n))
    .filter(isQualifiedName);
}

export function labelValue(): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.constant(''),
      fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,30}[A-Za-z0-9])?$/),
      fc.constant('v'.repeat(63)),
    )
    .filter(isLabelValue);
}

export function labels(maxKeys = 4): fc.Arbitrary<Record<string, string>> {
  return fc.dictionary(qualifiedKey(), labelValue(), { maxKeys });
}

/** Any text: unicode, Go's escaped characters, JSON-looking text, control characters. */
export function anyText(maxLength = 60): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.constantFrom('<script>&amp;</script>', '\u2028\u2029', '{"a":1}', '\ud83d', '\u0000\t\n'),
  );
}

export function annotations(maxKeys = 4): fc.Arbitrary<Record<string, string>> {
  return fc.dictionary(qualifiedKey(), anyText(), { maxKeys });
}

/** RFC 3339 times as the API server writes them (whole seconds, Z). */
export function kubeTime(): fc.Arbitrary<string> {
  return fc
    .integer({ min: Date.UTC(2020, 0, 1) / 1000, max: Date.UTC(2035, 0, 1) / 1000 })
    .map((s) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
}

/** `len` characters of `text` repeated: a huge string without generating it character by character. */
export function hugeString(minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
      fc.integer({ min: minLength, max: maxLength }),
    )
    .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length))
    .filter((s) => s.length >= minLength);
}

/** `[[[...]]]` or `{"a":{"a":...}}` `depth` levels deep, built without recursion. */
export function nested(depth: number, leaf: unknown = 1, asObject = false): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i += 1) value = asObject ? { a: value } : [value];
  return value;
}

export function deepValue(maxDepth: number): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      fc.integer({ min: 2, max: maxDepth }),
      fc.boolean(),
      parseable(fc.jsonValue({ maxDepth: 1 })),
    )
    .map(([depth, asObject, leaf]) => nested(depth, leaf, asObject));
}

/**
 * True when `value` holds a `__proto__` key: the body parser (@hapi/bourne, src/http/json-body.ts)
 * refuses those with a 400 (see the malformed-request properties), so generators of valid
 * requests skip them. fast-check produces such keys on purpose, now and then.
 */
export function hasPoisonedKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (!current || typeof current !== 'object') continue;
    if (Object.prototype.hasOwnProperty.call(current, '__proto__')) return true;
    stack.push(...Object.values(current));
  }
  return false;
}

/** `arbitrary` without values the body parser would refuse for their keys. */
export function parseable<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return arbitrary.filter((value) => !hasPoisonedKey(value));
}

/** Arbitrary JSON, now and then deep or with a long string. */
export function jsonNoise(): fc.Arbitrary<unknown> {
  return parseable(
    fc.oneof(
      { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 6 },
      { arbitrary: deepValue(60), weight: 1 },
      { arbitrary: hugeString(1000, 20_000), weight: 1 },
      {
        // (`__proto__` keys are refused with a 400: see the malformed-request properties.)
        arbitrary: fc.constant({
          constructor: 1,
          toString: 'x',
          hasOwnProperty: null,
          valueOf: {},
        }),
        weight: 1,
      },
    ),
  );
}

/** A deterministic UUID-shaped uid for an object. */
export function uidOf(...parts: string[]): string {
  let h = 2166136261;
  for (const ch of parts.join('\u0000')) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  const hex = (h.toString(16).padStart(8, '0') + (~h >>> 0).toString(16).padStart(8, '0')).repeat(
    2,
  );
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
