// A bound on how deep a request may nest. Kubernetes objects nest a few dozen levels at most;
// a hook answer echoes observed objects back, and JSON.stringify runs out of stack a few
// thousand levels down, which would turn a hostile request into a 500.
import { pointerToken } from './problems.js';

export const MAX_NESTING_DEPTH = 256;

/** The JSON Pointer of the first object or array nested deeper than `max` levels, if any. */
export function tooDeepAt(value: unknown, max = MAX_NESTING_DEPTH): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const stack: [object, string, number][] = [[value, '', 0]];
  while (stack.length > 0) {
    const [current, pointer, depth] = stack.pop()!;
    if (depth > max) return pointer;
    for (const [key, child] of Object.entries(current)) {
      if (child && typeof child === 'object') {
        stack.push([child, `${pointer}/${pointerToken(key)}`, depth + 1]);
      }
    }
  }
  return undefined;
}
