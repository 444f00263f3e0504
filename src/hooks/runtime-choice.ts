// Which runtime a lambda's pods get. Two webhook versions may answer the same lambda in turn
// (old and new replicas during the webhook's own rollout, or a rollback), and a release must not
// roll every lambda at once. So the runtime a lambda runs is pinned in its pod template
// (pylambda.dev/runtime-version) and only ever moves forward:
// - a lambda on this webhook's runtime version is rendered as usual;
// - on a newer runtime: its pod template is kept exactly as the newer webhook last applied it
//   (this one does not know that runtime's pod layout); a spec change waits for a webhook of
//   that version or later, and status says so;
// - on an older runtime: kept while the spec stays as it is, moved to this webhook's runtime
//   when the spec changes (the pods roll then anyway), at once under
//   PYLAMBDA_RUNTIME_UPGRADE=immediate, or for one lambda by its annotation
//   pylambda.dev/runtime-upgrade=always.
// "The spec" is the PythonLambda's spec as stored, without replicas (autoscalers change that),
// hashed the same way by every version into the Deployment's pylambda.dev/spec-hash.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { sha256Hex } from '../render/hash.js';
import { ANNOTATION_RUNTIME_VERSION } from '../render/labels.js';
import {
  compareRuntimeVersions,
  isRuntimeVersion,
  type RuntimeRelease,
} from '../render/runtime-release.js';

export const ANNOTATION_SPEC_HASH = 'pylambda.dev/spec-hash';
/** On a PythonLambda: `always` moves it to the webhook's runtime without a spec change. */
export const ANNOTATION_RUNTIME_UPGRADE = 'pylambda.dev/runtime-upgrade';

export type RuntimeChoice =
  | { kind: 'render' }
  /** Keep the observed Deployment's pod template as it is. */
  | { kind: 'keep'; version: string; newer: boolean }
  /** A newer runtime and a changed spec: only a webhook of that version may render it. */
  | { kind: 'wait'; version: string };

export function specHash(spec: unknown): string {
  const { replicas: _replicas, ...rest } = (spec ?? {}) as Record<string, unknown>;
  return sha256Hex(rest).slice(0, 16);
}

export interface RuntimeChoiceInput {
  own: RuntimeRelease;
  /** The observed Deployment (owned by the lambda), if any. */
  observed: { annotations?: Record<string, string>; template?: PodTemplateSpec } | undefined;
  specHash: string;
  /** The runtime the lambda's status last named (the last Deployment seen), if any. */
  previousVersion?: string | undefined;
  /** The lambda's pylambda.dev/runtime-upgrade annotation says `always`. */
  optedIn: boolean;
}

export function chooseRuntime(input: RuntimeChoiceInput): RuntimeChoice {
  if (!input.observed) {
    // No Deployment to pin (deleted, say): one of a newer runtime ran, so only that version or a
    // later one may create it again; an older webhook would move the lambda back.
    const previous = input.previousVersion;
    return previous !== undefined &&
      isRuntimeVersion(previous) &&
      compareRuntimeVersions(previous, input.own.version) > 0
      ? { kind: 'wait', version: previous }
      : { kind: 'render' };
  }
  const version = input.observed.template?.metadata?.annotations?.[ANNOTATION_RUNTIME_VERSION];
  // Nothing to pin: a new lambda, or one from a release that did not record its runtime.
  if (version === undefined || !isRuntimeVersion(version)) return { kind: 'render' };
  const order = compareRuntimeVersions(version, input.own.version);
  if (order === 0) return { kind: 'render' };
  const specChanged = input.observed.annotations?.[ANNOTATION_SPEC_HASH] !== input.specHash;
  if (order > 0)
    return specChanged ? { kind: 'wait', version } : { kind: 'keep', version, newer: true };
  if (specChanged || input.own.upgrade === 'immediate' || input.optedIn) return { kind: 'render' };
  return { kind: 'keep', version, newer: false };
}
