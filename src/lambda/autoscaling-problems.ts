// Rules for spec.autoscaling and spec.disruptionBudget that JSON Schema cannot state (the CRD
// states them in CEL, with the same meaning), so a CRD installed without them still holds.
import type { PythonLambdaSpec } from '../generated/pythonlambda-spec.js';
import type { Problem } from '../validation/problems.js';
import { quantityValue } from './quantity.js';

type Resources = PythonLambdaSpec['resources'];

/** Each utilization target and the resource whose request it is measured against. */
const TARGETS = [
  { field: 'targetCPUUtilizationPercentage', resource: 'cpu', label: 'CPU' },
  { field: 'targetMemoryUtilizationPercentage', resource: 'memory', label: 'memory' },
] as const;

/**
 * The request a pod of the lambda gets for `resource`, where the spec decides it: its request,
 * else its limit (Kubernetes copies a limit into a missing request). Undefined when the spec
 * says nothing about the resource, and pylambda's default request (never zero) applies.
 */
function effectiveRequest(
  resources: Resources,
  resource: 'cpu' | 'memory',
): { path: string; quantity: number | string } | undefined {
  const request = resources?.requests?.[resource];
  if (request !== undefined)
    return { path: `spec.resources.requests.${resource}`, quantity: request };
  const limit = resources?.limits?.[resource];
  if (limit !== undefined) return { path: `spec.resources.limits.${resource}`, quantity: limit };
  return undefined;
}

/**
 * An autoscaler divides each pod's use by its request: with a zero request it can never compute
 * a utilization, and the lambda would silently never scale. Refused, not defaulted: a zero is
 * something the user wrote, and pylambda's defaults already cover a resource left out.
 */
function requestProblems(spec: PythonLambdaSpec): Problem[] {
  const problems: Problem[] = [];
  for (const target of TARGETS) {
    if (spec.autoscaling?.[target.field] === undefined) continue;
    const request = effectiveRequest(spec.resources, target.resource);
    if (!request) continue;
    const value = quantityValue(request.quantity);
    if (value !== undefined && value <= 0) {
      problems.push({
        path: request.path,
        message: `is ${JSON.stringify(request.quantity)}, but autoscaling.${target.field} needs a ${target.label} request above zero (the autoscaler measures use against it): set resources.requests.${target.resource}, or leave ${target.resource} out of resources for the default`,
      });
    }
  }
  return problems;
}

export function autoscalingProblems(spec: PythonLambdaSpec): Problem[] {
  const problems: Problem[] = [];
  const autoscaling = spec.autoscaling;
  if (autoscaling) {
    const min = autoscaling.minReplicas ?? 1;
    if (min > autoscaling.maxReplicas) {
      problems.push({
        path: 'spec.autoscaling.minReplicas',
        message: `${min} is more than maxReplicas ${autoscaling.maxReplicas}: minReplicas must be at most maxReplicas`,
      });
    }
    if (
      autoscaling.targetCPUUtilizationPercentage === undefined &&
      autoscaling.targetMemoryUtilizationPercentage === undefined
    ) {
      problems.push({
        path: 'spec.autoscaling',
        message:
          'an autoscaler needs a target: set targetCPUUtilizationPercentage, targetMemoryUtilizationPercentage or both',
      });
    }
    problems.push(...requestProblems(spec));
  }
  const budget = spec.disruptionBudget;
  if (budget?.maxUnavailable !== undefined && budget.minAvailable !== undefined) {
    problems.push({
      path: 'spec.disruptionBudget',
      message: 'set maxUnavailable or minAvailable, not both',
    });
  }
  return problems;
}
