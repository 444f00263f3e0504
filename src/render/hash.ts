// Content hashes over canonical JSON: keys sorted, so a hash depends on content, never on the
// order in which a client happened to write an object's keys.
import { createHash } from 'node:crypto';

function serialize(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => serialize(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      if (record[key] !== undefined)
        members.push(`${JSON.stringify(key)}:${serialize(record[key])}`);
    }
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** JSON input only (what a request or a renderer produces): no Dates, Maps or toJSON. */
export function canonicalJson(value: unknown): string {
  return serialize(value);
}

export function sha256Hex(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
