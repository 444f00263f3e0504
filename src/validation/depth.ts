// A bound on how deep a request may nest. Kubernetes objects nest a few dozen levels at most;
// a hook answer echoes observed objects back, and JSON.stringify runs out of stack a few
// thousand levels down, which would turn a hostile request into a 500.
import { pointerToken } from './problems.js';

export const MAX_NESTING_DEPTH = 256;

/** The JSON Pointer of the first object or array nested deeper than `max` levels, if any. */
export function tooDeepAt(value: unknown, max = MAX_NESTING_DEPTH): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  // Every request is walked whole, so the pointer is spelled out only for the one that fails.
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
