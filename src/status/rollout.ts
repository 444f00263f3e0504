// Is the observed Deployment serving the pod template we want now? The same test as
// `kubectl rollout status`, plus "its template is ours", so Ready never reports old code.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { ANNOTATION_TEMPLATE_HASH } from '../render/labels.js';
import type { ConditionVerdict } from './conditions.js';

export const READY = 'Ready';

export interface RolloutInput {
  desired: Deployment;
  observed: Deployment | undefined;
  url: string;
}

function templateHashOf(deployment: Deployment | undefined): string | undefined {
  return deployment?.spec?.template?.metadata?.annotations?.[ANNOTATION_TEMPLATE_HASH];
}

function notReady(reason: string, message: string): ConditionVerdict {
  return { type: READY, status: 'False', reason, message };
}

export function rolloutVerdict({ desired, observed, url }: RolloutInput): ConditionVerdict {
  const name = desired.metadata!.name!;
  if (!observed) return notReady('Creating', `waiting for Deployment ${name} to be created`);
  const wanted = templateHashOf(desired);
  if (templateHashOf(observed) !== wanted) {
    return notReady('RollingOut', `Deployment ${name} is being updated to pod template ${wanted}`);
  }
  const generation = observed.metadata?.generation ?? 0;
  const status = observed.status ?? {};
  if ((status.observedGeneration ?? 0) < generation) {
    return notReady(
      'RollingOut',
      `waiting for the Deployment controller to observe generation ${generation} of ${name}`,
    );
  }
  const stalled = status.conditions?.find(
    (c) =>
      c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded',
  );
  if (stalled) {
    return notReady(
      'RolloutStalled',
      `Deployment ${name}: ${stalled.message ?? 'progress deadline exceeded'}`,
    );
  }
  const want = desired.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < want) {
    return notReady('RollingOut', `${updated} of ${want} replicas of ${name} run the current code`);
  }
  if (total > updated) {
    return notReady(
      'RollingOut',
      `${total - updated} old replicas of ${name} are still terminating`,
    );
  }
  if (available < updated) {
    return notReady(
      'RollingOut',
      `${available} of ${updated} updated replicas of ${name} are available`,
    );
  }
  if (want === 0) {
    return {
      type: READY,
      status: 'True',
      reason: 'ScaledToZero',
      message: `scaled to zero; ${url} answers once replicas > 0`,
    };
  }
  return {
    type: READY,
    status: 'True',
    reason: 'Available',
    message: `${available} of ${want} replicas serve the current code at ${url}`,
  };
}
