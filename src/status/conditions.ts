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
    before && before.status === verdict.status && isRfc3339(before.lastTransitionTime)
      ? before.lastTransitionTime
      : transitionTime();
  return {
    type: verdict.type,
    status: verdict.status,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    lastTransitionTime,
    reason: verdict.reason,
    message: boundedMessage(verdict.message),
  };
}

/** metav1.Condition's (and the CRD's) limit on a message, in characters. */
export const MAX_CONDITION_MESSAGE = 32768;
const TRUNCATED = ' ... (truncated)';

/** Messages quote user input (field names, values); a longer one would make the status write fail. */
function boundedMessage(message: string): string {
  if (message.length <= MAX_CONDITION_MESSAGE) return message;
  const characters = Array.from(message);
  if (characters.length <= MAX_CONDITION_MESSAGE) return message;
  return characters.slice(0, MAX_CONDITION_MESSAGE - TRUNCATED.length).join('') + TRUNCATED;
}

/** A time the API server stores in a condition (a status that fails its schema may hold others). */
function isRfc3339(time: unknown): time is string {
  return (
    typeof time === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(time) &&
    Number.isFinite(Date.parse(time))
  );
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
