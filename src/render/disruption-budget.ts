// The PodDisruptionBudget of a lambda that can run 2 or more replicas, so a node drain or a
// cluster upgrade evicts its pods one at a time instead of all at once.
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';
import { commonLabels, selectorLabels } from './labels.js';
import { dns1123SubdomainName } from './names.js';

export const DEFAULT_MAX_UNAVAILABLE = 1;

export function disruptionBudgetName(lambdaName: string): string {
  return dns1123SubdomainName(lambdaName);
}

/**
 * The most replicas the lambda can have: with autoscaling its maximum, so the budget does not
 * come and go as the autoscaler moves spec.replicas.
 */
function mostReplicas(spec: LambdaSpec): number {
  return spec.autoscaling ? spec.autoscaling.maxReplicas : spec.replicas;
}

/** Undefined for a single-replica lambda or when turned off: Metacontroller then deletes one. */
export function renderDisruptionBudget(spec: LambdaSpec): PodDisruptionBudget | undefined {
  const budget = spec.disruptionBudget ?? {};
  if (budget.enabled === false || mostReplicas(spec) < 2) return undefined;
  const limit =
    budget.minAvailable !== undefined
      ? { minAvailable: budget.minAvailable }
      : { maxUnavailable: budget.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE };
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: disruptionBudgetName(spec.name),
      namespace: spec.namespace,
      labels: commonLabels(spec.name),
    },
    spec: {
      ...limit,
      selector: { matchLabels: selectorLabels(spec.name) },
      // A pod that is not ready (an import error, a crash loop) serves nothing: evicting it must
      // never wait for the budget, or one broken rollout would block every drain of its nodes.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
