// The children that keep a lambda available as it scales: its HorizontalPodAutoscaler (with
// spec.autoscaling) and its PodDisruptionBudget (2 or more replicas possible), each only when
// wanted. A child left out is deleted by Metacontroller, so turning one off removes it.
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';
import type { KubeObject } from '../metacontroller/objects.js';
import { renderAutoscaler } from './autoscaler.js';
import { renderDisruptionBudget } from './disruption-budget.js';

export function renderAvailabilityChildren(spec: LambdaSpec): KubeObject[] {
  return [renderAutoscaler(spec), renderDisruptionBudget(spec)].filter(
    (child) => child !== undefined,
  ) as KubeObject[];
}
