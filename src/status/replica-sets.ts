// The lambda's ReplicaSets, when the customize hook brought them (as `related`): the exact
// answer to "which code versions may still have pods". A ReplicaSet that wants replicas can
// recreate a pod at any time (an eviction, a node drain), and one that still has pods has them
// mounting its code; only when both are zero may its ConfigMap go.
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { findObjects, type ObjectMap } from '../metacontroller/objects.js';
import { ANNOTATION_CODE_HASH } from '../render/labels.js';

export const REPLICASET_GROUP = 'ReplicaSet.apps/v1';

/**
 * The ReplicaSets whose controller is Deployment `deployment` (by name: a ReplicaSet of an
 * earlier Deployment of that name still has pods of its code), and those with no controller at
 * all: a Deployment deleted with `--cascade=orphan` leaves its ReplicaSets running without an
 * owner reference until the next Deployment of the same selector adopts them, and they carry the
 * lambda's pod labels (what the customize hook selects them by), so their pods mount its code
 * and answer on its Service. Undefined if none were sent.
 */
export function ownedReplicaSets(
  related: ObjectMap | null | undefined,
  deployment: string,
): ReplicaSet[] | undefined {
  if (!related || !(REPLICASET_GROUP in related)) return undefined;
  return (findObjects(related, REPLICASET_GROUP) as unknown as ReplicaSet[]).filter((rs) => {
    const controller = (rs.metadata?.ownerReferences ?? []).find((ref) => ref.controller === true);
    return (
      controller === undefined ||
      (controller.kind === 'Deployment' && controller.name === deployment)
    );
  });
}

/** Code hashes of the live ReplicaSets of Deployment `deployment`; undefined if none were sent. */
export function liveCodeHashes(
  related: ObjectMap | null | undefined,
  deployment: string,
): Set<string> | undefined {
  const owned = ownedReplicaSets(related, deployment);
  if (!owned) return undefined;
  const hashes = new Set<string>();
  for (const rs of owned) {
    const live = (rs.spec?.replicas ?? 1) > 0 || (rs.status?.replicas ?? 0) > 0;
    const hash = rs.spec?.template?.metadata?.annotations?.[ANNOTATION_CODE_HASH];
    if (live && hash) hashes.add(hash);
  }
  return hashes;
}
