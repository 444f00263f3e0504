// A request above its limit makes the API server refuse the whole Deployment, which
// Metacontroller would retry forever with a SyncError. Say so as an invalid spec instead.
import type { PythonLambdaSpec } from '../generated/pythonlambda-spec.js';
import type { Problem } from '../validation/problems.js';
import { quantityNanos, quantityValue } from './quantity.js';

export function resourceProblems(resources: PythonLambdaSpec['resources']): Problem[] {
  const problems: Problem[] = [];
  const requests = (resources?.requests ?? {}) as Record<string, number | string>;
  const limits = (resources?.limits ?? {}) as Record<string, number | string>;
  for (const name of Object.keys(requests).sort()) {
    const request = requests[name]!;
    const limit = limits[name];
    if (limit === undefined) continue;
    if (isAbove(request, limit)) {
      problems.push({
        path: `spec.resources.requests.${name}`,
        message: `${JSON.stringify(request)} is more than the limit ${JSON.stringify(limit)}`,
      });
    }
  }
  return problems;
}

/** Exactly where both can be held exactly (as the API server compares), else by value. */
function isAbove(request: number | string, limit: number | string): boolean {
  const requested = quantityNanos(request);
  const limited = quantityNanos(limit);
  if (requested !== undefined && limited !== undefined) return requested > limited;
  const requestValue = quantityValue(request);
  const limitValue = quantityValue(limit);
  return requestValue !== undefined && limitValue !== undefined && requestValue > limitValue;
}
