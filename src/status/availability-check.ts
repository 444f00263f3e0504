// Ready and the availability children: a HorizontalPodAutoscaler or PodDisruptionBudget that is
// wanted but not observed yet never holds Ready back. They come and go with the replicas (a
// budget from 2) and with spec fields, and Ready means the current code serves: a scale from 1
// to 3 replicas must not flip it while its new budget is being created. Someone else's object
// holding one of their names is still a conflict.
import type { ChildCheck } from '../metacontroller/ownership.js';
import { childKey, childKeyOf, type KubeObject } from '../metacontroller/objects.js';

export function withoutPendingAvailability(
  check: ChildCheck,
  availability: KubeObject[],
): ChildCheck {
  const optional = new Set(availability.map(childKeyOf));
  return {
    ...check,
    missing: check.missing.filter((child) => !optional.has(childKey(child.group, child.name))),
  };
}
