// `maxLength` and `minLength` count Unicode code points (JSON Schema, and the API server's
// OpenAPI check alike). ajv counts them with a loop over every character of every string it
// checks, which for a 900 KiB `spec.code` was a sixth of a hook call. A string of n UTF-16
// units has between n/2 and n code points, so most strings are decided by `.length` alone;
// only the rest are counted, with the same answer and the same message as ajv's.
import type { AnySchemaObject, ErrorObject, KeywordDefinition, SchemaValidateFunction } from 'ajv';

/** The keywords `maxLength` and `minLength` become in the schemas ajv compiles. */
export const MAX_LENGTH_KEYWORD = 'x-pylambda-max-length';
export const MIN_LENGTH_KEYWORD = 'x-pylambda-min-length';

function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

export function withinMaxLength(text: string, limit: number): boolean {
  return text.length <= limit || codePoints(text) <= limit;
}

export function withinMinLength(text: string, limit: number): boolean {
  if (text.length < limit) return false;
  return text.length >= 2 * limit || codePoints(text) >= limit;
}

function lengthKeyword(
  keyword: string,
  standard: 'maxLength' | 'minLength',
  within: (text: string, limit: number) => boolean,
  message: (limit: number) => string,
): KeywordDefinition {
  // ajv reads the errors of a `validate` keyword from the function itself, right after a false.
  const check: SchemaValidateFunction = (limit: number, data: string) => {
    if (within(data, limit)) return true;
    const error: Partial<ErrorObject> = {
      keyword: standard,
      params: { limit },
      message: message(limit),
    };
    check.errors = [error];
    return false;
  };
  return { keyword, type: 'string', schemaType: 'number', errors: true, validate: check };
}

export const stringLengthKeywords: KeywordDefinition[] = [
  lengthKeyword(
    MAX_LENGTH_KEYWORD,
    'maxLength',
    withinMaxLength,
    (limit) => `must NOT have more than ${limit} characters`,
  ),
  lengthKeyword(
    MIN_LENGTH_KEYWORD,
    'minLength',
    withinMinLength,
    (limit) => `must NOT have fewer than ${limit} characters`,
  ),
];

const RENAMED: Record<string, string> = {
  maxLength: MAX_LENGTH_KEYWORD,
  minLength: MIN_LENGTH_KEYWORD,
};
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs'];
const DATA_KEYWORDS = ['enum', 'const', 'default', 'examples'];

/** A copy of `schema` with the length keywords above in place of ajv's (files stay as they are). */
export function withFastStringLengths(schema: AnySchemaObject): AnySchemaObject {
  const rewrite = (node: unknown, isMap = false): unknown => {
    if (Array.isArray(node)) return node.map((item) => rewrite(item));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const renamed = RENAMED[key];
      if (!isMap && renamed !== undefined && typeof value === 'number') {
        out[renamed] = value;
      } else if (!isMap && DATA_KEYWORDS.includes(key)) {
        out[key] = value; // data, not schemas
      } else {
        out[key] = rewrite(value, !isMap && SUBSCHEMA_MAPS.includes(key));
      }
    }
    return out;
  };
  return rewrite(schema) as AnySchemaObject;
}
