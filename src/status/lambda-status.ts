// A PythonLambda's status from a Ready verdict: the condition (its transition time carried over
// unless it flips), replica counts, what is wanted and what serves where. Both composite hooks
// build it here.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { PythonLambdaStatus } from '../generated/pythonlambda-status.js';
import type { KubeObject } from '../metacontroller/objects.js';
import type { CodeRecord } from './code-retention.js';
import { observedConditions, toCondition, type ConditionVerdict } from './conditions.js';
import { transitionTimeFrom } from './transition-time.js';

export type ReplicaCounts = Pick<
  PythonLambdaStatus,
  'replicas' | 'readyReplicas' | 'updatedReplicas'
>;
/** Where the lambda answers and which code it wants; `url` only while its Service is ours. */
export type Served = Pick<PythonLambdaStatus, 'url' | 'codeHash'>;

export function replicaCounts(deployment: Deployment | undefined): ReplicaCounts {
  const status = deployment?.status ?? {};
  return {
    replicas: status.replicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    updatedReplicas: status.updatedReplicas ?? 0,
  };
}

/** The URL and code hash the previous status reported: still true while nothing is changed. */
export function stillServed(previous: PythonLambdaStatus): Served {
  return {
    ...(previous.url === undefined ? {} : { url: previous.url }),
    ...(previous.codeHash === undefined ? {} : { codeHash: previous.codeHash }),
  };
}

export interface StatusInput {
  parent: KubeObject;
  previous: PythonLambdaStatus;
  verdict: ConditionVerdict;
  counts: ReplicaCounts;
  served: Served;
  record: CodeRecord;
  now: () => Date;
}

export function lambdaStatus(input: StatusInput): PythonLambdaStatus {
  const ready = toCondition(
    input.verdict,
    observedConditions(input.previous),
    input.parent.metadata.generation,
    transitionTimeFrom(input.now),
  );
  // Conditions other than Ready belong to nobody else; drop them rather than let them go stale.
  return { conditions: [ready], ...input.counts, ...input.served, ...input.record };
}
