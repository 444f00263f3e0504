// A bound on how many values a parsed value holds, for a part of a request that is validated
// with every error reported: ajv's allErrors mode reports up to several errors per value, so
// the errors of a large invalid part cost many times its size.

/**
 * Whether `value` holds more than `max` values (itself, and every member and element; keys are
 * not counted). Stops as soon as it knows; the request's nesting depth is already bounded
 * (depth.ts), so the recursion is too.
 */
export function holdsMoreParsedValuesThan(value: unknown, max: number): boolean {
  let left = max;
  const visit = (member: unknown): boolean => {
    left -= 1;
    if (left < 0) return true;
    if (member === null || typeof member !== 'object') return false;
    const members = Array.isArray(member) ? member : Object.values(member);
    for (const inner of members) if (visit(inner)) return true;
    return false;
  };
  return visit(value);
}
