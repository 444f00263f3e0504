// Where the scheduler should put a lambda's pods: spread over nodes, so one node going away
// takes as few of them as possible. A preference (ScheduleAnyway), never a reason to stay
// Pending. Rendered at every replica count, so scaling never changes the pod template (which
// would roll the pods).
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';
import { selectorLabels } from './labels.js';

export const NODE_TOPOLOGY_KEY = 'kubernetes.io/hostname';

export function topologySpreadConstraints(spec: LambdaSpec): TopologySpreadConstraint[] {
  if (spec.topologySpread?.enabled === false) return [];
  return [
    {
      maxSkew: 1,
      topologyKey: NODE_TOPOLOGY_KEY,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: selectorLabels(spec.name) },
      // Spread each revision on its own: during a rollout the new pods spread among themselves
      // instead of piling onto the nodes the old ones are leaving.
      matchLabelKeys: ['pod-template-hash'],
    },
  ];
}
