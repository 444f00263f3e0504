// Returning observed objects as desired, unchanged: what a hook answers when it must not touch
// them (an invalid spec, bad annotations). Metacontroller deletes every observed child left out
// of a response, so "keep" means "send back what we last asked for".
import {
  ParseBudgetExceeded,
  parseCounted,
  type ParseBudget,
} from '../validation/counted-parse.js';
import { tooDeepAt } from '../validation/depth.js';
import { currentApplyEntry, LAST_APPLIED } from './apply-entry.js';
import { pickFields, UnusableManagedFields } from './managed-fields.js';
import type { KubeObject } from './objects.js';

const KUBECTL_LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Annotations other controllers own; claiming them would make a later apply delete them. */
const FOREIGN_ANNOTATIONS = [
  LAST_APPLIED,
  KUBECTL_LAST_APPLIED,
  'deployment.kubernetes.io/revision',
  'metacontroller.k8s.io/decorator-controller',
];
const SYSTEM_METADATA = new Set([
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'ownerReferences',
  'finalizers',
  'selfLink',
  'generateName',
]);

/**
 * The API server refuses an object whose annotations, keys and values together, take more than
 * 256 KiB (TotalAnnotationSizeLimitB): one that does was never stored, so its annotations are
 * not what Metacontroller wrote, and are not parsed.
 */
export const MAX_ANNOTATIONS_BYTES = 262_144;

function annotationsBytes(annotations: Record<string, string>): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    bytes += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  return bytes;
}

function parseLastApplied(object: KubeObject, budget: ParseBudget): KubeObject | undefined {
  const annotations = object.metadata.annotations;
  const text = annotations?.[LAST_APPLIED];
  if (!text || annotationsBytes(annotations) > MAX_ANNOTATIONS_BYTES) return undefined;
  try {
    const parsed = parseCounted(text, budget) as KubeObject | undefined;
    if (
      parsed?.metadata?.name === object.metadata.name &&
      parsed.kind === object.kind &&
      // The answer echoes it; a hand-written annotation could nest past what JSON.stringify can.
      tooDeepAt(parsed) === undefined
    )
      return parsed;
  } catch (err) {
    // Past the call's value budget: as if there were no annotation.
    if (!(err instanceof ParseBudgetExceeded)) throw err;
  }
  // A damaged annotation, or another object's: fall back to the observed object.
  return undefined;
}

/** Server-side apply: the fields of Metacontroller's own Apply entry (when current), nothing else. */
function appliedFields(object: KubeObject, budget: ParseBudget): KubeObject | undefined {
  const entry = currentApplyEntry(object);
  const fields = entry?.fieldsV1 as Record<string, unknown> | undefined;
  if (!fields || typeof fields !== 'object') return undefined;
  let picked: Record<string, unknown>;
  try {
    picked = pickFields(object, fields, budget) as Record<string, unknown>;
  } catch (err) {
    // Part of the entry would be left out: sending back less than Metacontroller applied would
    // make its next apply remove the rest, so the entry is not used at all.
    if (err instanceof ParseBudgetExceeded || err instanceof UnusableManagedFields)
      return undefined;
    throw err;
  }
  const metadata = (picked.metadata ?? {}) as Record<string, unknown>;
  return {
    ...picked,
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: {
      ...metadata,
      name: object.metadata.name,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    },
  } as KubeObject;
}

/**
 * The observed object as a desired object: the last applied configuration when Metacontroller
 * kept one (dynamic-apply); under server-side apply exactly the fields its Apply entry owns.
 * Otherwise (neither shows, or what shows is past the bounds above) the observed object without
 * status and system metadata: still kept, though then with what the API server and other
 * managers added to it. The JSON parsed from annotations and managedFields keys counts against
 * `budget`, one per hook call.
 */
export function asDesired(object: KubeObject, budget: ParseBudget): KubeObject {
  const applied = appliedFields(object, budget);
  if (applied) return withoutSystemMetadata(applied);
  const lastApplied = parseLastApplied(object, budget);
  if (lastApplied) return lastApplied;
  return withoutSystemMetadata(object);
}

function withoutSystemMetadata(object: KubeObject): KubeObject {
  const { status: _status, metadata, ...rest } = object;
  const cleanMetadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!SYSTEM_METADATA.has(key)) cleanMetadata[key] = value;
  }
  if (metadata.annotations) {
    const annotations = Object.fromEntries(
      Object.entries(metadata.annotations).filter(([key]) => !FOREIGN_ANNOTATIONS.includes(key)),
    );
    if (Object.keys(annotations).length > 0) cleanMetadata.annotations = annotations;
    else delete cleanMetadata.annotations;
  }
  return { ...rest, metadata: { ...cleanMetadata, name: metadata.name } } as KubeObject;
}
