// Content hashes over canonical JSON: keys sorted, so a hash depends on content, never on the
// order in which a client happened to write an object's keys. The text is exactly what sorting
// every object's keys and calling JSON.stringify would give: the pod template hash and the spec
// hash are stored in every Deployment, and a different text would roll every lambda on upgrade.
import { createHash } from 'node:crypto';

/** A string JSON.stringify writes as it is, between quotes: nothing it would escape. */
// eslint-disable-next-line no-control-regex -- the control characters are what JSON escapes
const PLAIN_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

function quoted(text: string): string {
  return PLAIN_STRING.test(text) ? `"${text}"` : JSON.stringify(text);
}

/** Out of order only where a client wrote them so: ours are mostly in order, and not sorted again. */
function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i += 1) {
    if (keys[i - 1]! > keys[i]!) return keys.sort();
  }
  return keys;
}

// One string built by appending, not arrays of parts joined: this runs on every sync, over the
// whole pod template (about 9% of an uncached sync call when it was written with map and join).
function serialize(value: unknown): string {
  if (typeof value === 'string') return quoted(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out += ',';
      out += serialize(value[i] ?? null);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of sortedKeys(record)) {
    const member = record[key];
    if (member === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${quoted(key)}:${serialize(member)}`;
  }
  return `${out}}`;
}

/** JSON input only (what a request or a renderer produces): no Dates, Maps or toJSON. */
export function canonicalJson(value: unknown): string {
  return serialize(value);
}

export function sha256Hex(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
