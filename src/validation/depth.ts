// A bound on how deep a request may nest. Kubernetes objects nest a few dozen levels at most;
// a hook answer echoes observed objects back, and JSON.stringify runs out of stack a few
// thousand levels down, which would turn a hostile request into a 500.
import { pointerToken } from './problems.js';

export const MAX_NESTING_DEPTH = 256;

/** The JSON Pointer of the first object or array nested deeper than `max` levels, if any. */
export function tooDeepAt(value: unknown, max = MAX_NESTING_DEPTH): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  // Every request is walked whole by the quick check; the walk that finds the pointer runs only
  // for the one that fails.
  if (!nestsDeeperThan(value, 0, max)) return undefined;
  const stack: Visit[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    if (visit.depth > max) return pointerOf(visit);
    const current = visit.value as Record<string, unknown>;
    for (const key of Object.keys(current)) {
      const child = current[key];
      if (child && typeof child === 'object') {
        stack.push({ value: child, depth: visit.depth + 1, parent: visit, key });
      }
    }
  }
  return undefined;
}

/**
 * Whether `value`, at `depth`, holds an object or array deeper than `max`. Recursive, and without
 * allocating: it stops at `max + 1` levels, a few hundred frames, far within the stack.
 */
function nestsDeeperThan(value: object, depth: number, max: number): boolean {
  if (depth > max) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const child: unknown = value[i];
      if (child && typeof child === 'object' && nestsDeeperThan(child, depth + 1, max)) return true;
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  // for...in rather than Object.keys: no array of keys per object. A parsed object has no
  // enumerable inherited keys, and one would only be walked too, never skipped.
  for (const key in record) {
    const child = record[key];
    if (child && typeof child === 'object' && nestsDeeperThan(child, depth + 1, max)) return true;
  }
  return false;
}

interface Visit {
  value: object;
  depth: number;
  parent?: Visit;
  key?: string;
}

function pointerOf(visit: Visit): string {
  const tokens: string[] = [];
  for (let at: Visit | undefined = visit; at?.parent; at = at.parent) {
    tokens.push(pointerToken(at.key));
  }
  return tokens
    .reverse()
    .map((token) => `/${token}`)
    .join('');
}
