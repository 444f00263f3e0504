// Which pods run other code than the Deployment's template, read from the lambda's ReplicaSets
// (the customize hook brings them as `related`). The Deployment's counts call every pod outside
// its newest ReplicaSet "not updated", yet `kubectl rollout restart` makes a new ReplicaSet of the
// very same code: it only adds the pod annotation `kubectl.kubernetes.io/restartedAt`, which
// Metacontroller's apply keeps because pylambda does not own it. So a ReplicaSet whose template
// equals the Deployment's apart from that annotation and the `pod-template-hash` label (the one
// the Deployment controller adds) runs the current code. Both templates come from the same API
// server's defaulting, as the Deployment controller's own template comparison assumes, so the
// comparison is exact; any other difference (`kubectl set image`) counts as other code.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { ObjectMap } from '../metacontroller/objects.js';
import { everyPodInNewestReplicaSet } from '../lambda/older-pods.js';
import { canonicalJson } from '../render/hash.js';
import { ownedReplicaSets } from './replica-sets.js';

export const ANNOTATION_RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
const LABEL_POD_TEMPLATE_HASH = 'pod-template-hash';

export interface ReplicaSetCode {
  /** Pods (status.replicas) of the Deployment's ReplicaSets that run other code. */
  olderCodePods: number;
  /**
   * The Deployment's template differs from the running ones by a restart alone, and the
   * Deployment controller has not made its ReplicaSet yet: no ReplicaSet has that very template,
   * one with pods has its code, and none with pods has other code.
   */
  restartPending: boolean;
}

/** `record` without `key`; an empty map is none at all, as Kubernetes omits an empty map. */
function without(
  record: Record<string, string> | undefined,
  key: string,
): Record<string, string> | undefined {
  const rest = Object.entries(record ?? {}).filter(([name]) => name !== key);
  return rest.length > 0 ? Object.fromEntries(rest) : undefined;
}

/** The template as text without the hash label, and without restartedAt unless `withRestart`. */
function templateText(template: PodTemplateSpec | undefined, withRestart: boolean): string {
  const metadata = template?.metadata ?? {};
  return canonicalJson({
    ...template,
    metadata: {
      ...metadata,
      labels: without(metadata.labels, LABEL_POD_TEMPLATE_HASH),
      annotations: withRestart
        ? metadata.annotations
        : without(metadata.annotations, ANNOTATION_RESTARTED_AT),
    },
  });
}

function pods(rs: ReplicaSet): number {
  return rs.status?.replicas ?? 0;
}

/** What the ReplicaSets of `deployment` say about its code; undefined if none were sent. */
export function replicaSetCode(
  related: ObjectMap | null | undefined,
  deployment: Deployment,
): ReplicaSetCode | undefined {
  const owned = ownedReplicaSets(related, deployment.metadata?.name ?? '');
  if (!owned) return undefined;
  // Every pod in the newest ReplicaSet, and the controller up to date: no pod of other code and
  // no restart pending, as the templates would say too. That is nearly every resync, and spares
  // it the templates' canonical JSON (about 20 µs each, for up to four ReplicaSets).
  if (everyPodInNewestReplicaSet(deployment)) return { olderCodePods: 0, restartPending: false };
  const code = templateText(deployment.spec?.template, false);
  const exact = templateText(deployment.spec?.template, true);
  const same = owned.filter((rs) => templateText(rs.spec?.template, false) === code);
  const other = owned.filter((rs) => !same.includes(rs));
  const olderCodePods = other.reduce((sum, rs) => sum + pods(rs), 0);
  return {
    olderCodePods,
    restartPending:
      olderCodePods === 0 &&
      same.some((rs) => pods(rs) > 0) &&
      !same.some((rs) => templateText(rs.spec?.template, true) === exact),
  };
}
