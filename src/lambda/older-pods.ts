// May a pod of an older ReplicaSet of this Deployment still run, or be recreated? Such pods run
// the template as it was before the last edit, so they may mount a ConfigMap the current
// template no longer names (an opt-out that drops the settings volume in the same edit). The
// Deployment's status answers without its ReplicaSets: `replicas` counts the pods of all of
// them, `updatedReplicas` those of the newest, and both are only about the current template once
// the Deployment controller has observed its generation. While the newest has fewer pods than
// wanted, an older one may still be asked for pods (a paused rollout, or one whose older pod was
// just evicted and is being recreated), so that counts as "may" too.
import type { Deployment } from 'kubernetes-types/apps/v1.js';

/** Every pod in the newest ReplicaSet, as the controller that has observed the edit counts. */
export function everyPodInNewestReplicaSet(deployment: Deployment): boolean {
  const status = deployment.status ?? {};
  return (
    (status.replicas ?? 0) <= (status.updatedReplicas ?? 0) &&
    (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0)
  );
}

export function olderPodsMayRun(deployment: Deployment): boolean {
  const updated = deployment.status?.updatedReplicas ?? 0;
  return !everyPodInNewestReplicaSet(deployment) || updated < (deployment.spec?.replicas ?? 1);
}
