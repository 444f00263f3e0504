// Content hashes. Keys are sorted before hashing so the hash depends on content, not on the
// order in which a client happened to write object keys.
import { createHash } from 'node:crypto';

/** The reference definition: JSON.stringify with every object's keys sorted. */
function canonicalJsonByReplacer(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
      return Object.fromEntries(entries);
    }
    return v;
  });
}

/** Keys a JavaScript object lists first, in numeric order, whatever order they were added in. */
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) <= 4294967294;
}

function isPlain(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * The same text as the reference definition, without its per-object copies (every sync hashes
 * the pod template; bench/findings.md). Sorted keys come out as Object.fromEntries would list
 * them: array-index keys first in numeric order, then the rest in sorted order. Anything that
 * is not a plain object, array or primitive goes through the reference definition.
 */
function serialize(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value) as string | undefined;
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i += 1) items.push(serialize(value[i]) ?? 'null');
    return `[${items.join(',')}]`;
  }
  if (!isPlain(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJsonByReplacer(value);
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const indices = keys.filter(isArrayIndex);
  const ordered = indices.length
    ? [...indices.sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isArrayIndex(k))]
    : keys;
  const members: string[] = [];
  for (const key of ordered) {
    const text = serialize(record[key]);
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${members.join(',')}}`;
}

export function canonicalJson(value: unknown): string {
  return serialize(value) as string;
}

export function sha256Hex(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
