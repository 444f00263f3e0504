// Standard Kubernetes conditions. lastTransitionTime changes only when a condition's status
// flips, so a status fed back in comes out byte-identical.
import type { PythonLambdaStatus } from '../generated/pythonlambda-status.js';

export type Condition = NonNullable<PythonLambdaStatus['conditions']>[number];
export type ConditionStatus = Condition['status'];

export interface ConditionVerdict {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * `verdict` as a full condition. `transitionTime` is read only when the status flips (or the
 * condition is new); it is a thunk so the clock behind it is touched only then.
 */
export function toCondition(
  verdict: ConditionVerdict,
  previous: readonly Condition[] | undefined,
  generation: number | undefined,
  transitionTime: () => string,
): Condition {
  const before = previous?.find((c) => c.type === verdict.type);
  const lastTransitionTime =
    before && before.status === verdict.status && before.lastTransitionTime
      ? before.lastTransitionTime
      : transitionTime();
  return {
    type: verdict.type,
    status: verdict.status,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    lastTransitionTime,
    reason: verdict.reason,
    message: verdict.message,
  };
}

/** Conditions from an observed status, if they look like conditions at all. */
export function observedConditions(status: unknown): Condition[] {
  const conditions = (status as { conditions?: unknown } | null | undefined)?.conditions;
  if (!Array.isArray(conditions)) return [];
  return conditions.filter(
    (c): c is Condition =>
      !!c && typeof c === 'object' && typeof (c as Condition).type === 'string',
  );
}
