// `maxLength` counts Unicode code points (JSON Schema, and the API server's OpenAPI check alike).
// ajv counts them with a loop over every character of every string it checks, which for a
// 900 KiB `spec.code` is a sixth of a hook call. A string has at least as many UTF-16 units as
// code points, so one whose `.length` is within the limit passes without counting: only
// strings longer than their limit in units are counted, with the same answer and message.
import type { AnySchemaObject, ErrorObject, KeywordDefinition, SchemaValidateFunction } from 'ajv';

/** The keyword `maxLength` becomes in the schemas ajv compiles. */
export const MAX_LENGTH_KEYWORD = 'x-pylambda-max-length';

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

// ajv reads the errors of a `validate` keyword from the function itself, right after a false.
const checkMaxLength: SchemaValidateFunction = (limit: number, data: string) => {
  if (withinMaxLength(data, limit)) return true;
  const error: Partial<ErrorObject> = {
    keyword: 'maxLength',
    params: { limit },
    message: `must NOT have more than ${limit} characters`,
  };
  checkMaxLength.errors = [error];
  return false;
};

export const maxLengthKeyword: KeywordDefinition = {
  keyword: MAX_LENGTH_KEYWORD,
  type: 'string',
  schemaType: 'number',
  errors: true,
  validate: checkMaxLength,
};

const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs'];

/** A copy of `schema` whose every `maxLength` is MAX_LENGTH_KEYWORD (files stay as they are). */
export function withFastMaxLength(schema: AnySchemaObject): AnySchemaObject {
  const rewrite = (node: unknown, isMap = false): unknown => {
    if (Array.isArray(node)) return node.map((item) => rewrite(item));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (!isMap && key === 'maxLength' && typeof value === 'number') {
        out[MAX_LENGTH_KEYWORD] = value;
      } else if (!isMap && ['enum', 'const', 'default', 'examples'].includes(key)) {
        out[key] = value; // data, not schemas
      } else {
        out[key] = rewrite(value, !isMap && SUBSCHEMA_MAPS.includes(key));
      }
    }
    return out;
  };
  return rewrite(schema) as AnySchemaObject;
}
