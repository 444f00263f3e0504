// The children that keep a lambda available as it scales: its HorizontalPodAutoscaler (with
// spec.autoscaling) and its PodDisruptionBudget (2 or more replicas possible), each only when
// wanted. A child left out is deleted by Metacontroller, so turning one off removes it.
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';
import type { KubeObject } from '../metacontroller/objects.js';
import { autoscalerName, renderAutoscaler } from './autoscaler.js';
import { disruptionBudgetName, renderDisruptionBudget } from './disruption-budget.js';

export function renderAvailabilityChildren(spec: LambdaSpec): KubeObject[] {
  return [renderAutoscaler(spec), renderDisruptionBudget(spec)].filter(
    (child) => child !== undefined,
  ) as KubeObject[];
}

/**
 * The customize hook's rules for objects holding these children's names, whether or not the
 * lambda wants them now: someone else's HorizontalPodAutoscaler or PodDisruptionBudget of that
 * name is then seen, and never taken over.
 */
export function availabilityRelatedRules(lambdaName: string, namespace: string) {
  return [
    {
      apiVersion: 'autoscaling/v2',
      resource: 'horizontalpodautoscalers',
      namespace,
      names: [autoscalerName(lambdaName)],
    },
    {
      apiVersion: 'policy/v1',
      resource: 'poddisruptionbudgets',
      namespace,
      names: [disruptionBudgetName(lambdaName)],
    },
  ];
}
