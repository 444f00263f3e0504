// Which code versions may still have pods, so their ConfigMaps must stay. A request need not
// carry the ReplicaSets (an install without the customize hook), so the status remembers: the code that last rolled out on every replica
// (`servedCodeHash`), and the newest few versions the Deployment ran since then without
// finishing (`retainedCodeHashes`): their ReplicaSets may have pods, starting or serving. Once a
// newer version has rolled out completely, the Deployment controller has scaled every older
// ReplicaSet to zero and none of them is kept any more. When the customize hook brings the
// lambda's ReplicaSets (as `related`), the hook knows exactly which versions have pods and
// keeps those (replica-sets.ts); the record is what it falls back on without them.
import type { PythonLambdaStatus } from '../generated/pythonlambda-status.js';
import { observedConditions } from './conditions.js';
import { rolloutComplete, type DeploymentView } from './deployment-view.js';

/** Older versions partly serving at once; beyond this the oldest is let go (documented). */
export const MAX_RETAINED_CODE_HASHES = 3;

export type CodeRecord = Pick<
  PythonLambdaStatus,
  'servedCodeHash' | 'servedTemplateHash' | 'retainedCodeHashes'
>;

/**
 * A status written before `servedCodeHash` existed (an upgraded webhook) still says what
 * served: a Ready=True status's `codeHash` ran on every replica.
 */
function servedBefore(previous: PythonLambdaStatus): string | undefined {
  if (previous.servedCodeHash) return previous.servedCodeHash;
  const ready = observedConditions(previous).find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? previous.codeHash : undefined;
}

export function codeRecord(
  previous: PythonLambdaStatus,
  view: DeploymentView | undefined,
): CodeRecord {
  let served = servedBefore(previous);
  let servedTemplate = previous.servedTemplateHash;
  let retained = (previous.retainedCodeHashes ?? []).filter((hash) => hash !== served);
  const current = view?.codeHash;
  if (view && current) {
    if (rolloutComplete(view)) {
      served = current;
      servedTemplate = view.templateHash;
      retained = [];
    } else {
      // The Deployment went on to another template: even one rolled back to the served template
      // must finish again before a pod count means the current code (pods of the template in
      // between may still be draining).
      if (view.templateHash !== servedTemplate) servedTemplate = undefined;
      if (current !== served && !retained.includes(current)) {
        retained = [...retained, current].slice(-MAX_RETAINED_CODE_HASHES);
      }
    }
  }
  return {
    ...(served === undefined ? {} : { servedCodeHash: served }),
    ...(servedTemplate === undefined ? {} : { servedTemplateHash: servedTemplate }),
    ...(retained.length === 0 ? {} : { retainedCodeHashes: retained }),
  };
}

/**
 * Code hashes whose ConfigMaps stay: the one wanted now, the one the observed Deployment's
 * template mounts (its ReplicaSet is the newest and may have pods), the served one, and either
 * those of every ReplicaSet that has or may recreate pods (`live`, when the request shows
 * ReplicaSets) or those the record retains.
 */
export function codeHashesInUse(
  wanted: string | undefined,
  view: DeploymentView | undefined,
  record: CodeRecord,
  live: Set<string> | undefined,
): Set<string> {
  const hashes = new Set<string>(live ?? record.retainedCodeHashes ?? []);
  if (record.servedCodeHash) hashes.add(record.servedCodeHash);
  if (view?.codeHash) hashes.add(view.codeHash);
  if (wanted) hashes.add(wanted);
  return hashes;
}
