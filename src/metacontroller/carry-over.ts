// Returning observed objects as desired, unchanged: what a hook answers when it must not touch
// them (an invalid spec, bad annotations). Metacontroller deletes every observed child left out
// of a response, so "keep" means "send back what we last asked for".
import { tooDeepAt } from '../validation/depth.js';
import { pickFields } from './managed-fields.js';
import type { KubeObject } from './objects.js';

/** Written by the dynamic-apply strategy: exactly the object as we last desired it. */
export const LAST_APPLIED = 'metacontroller.k8s.io/last-applied-configuration';
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

function parseLastApplied(object: KubeObject): KubeObject | undefined {
  const text = object.metadata.annotations?.[LAST_APPLIED];
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as KubeObject;
    if (
      parsed?.metadata?.name === object.metadata.name &&
      parsed.kind === object.kind &&
      // The answer echoes it; a hand-written annotation could nest past what JSON.stringify can.
      tooDeepAt(parsed) === undefined
    )
      return parsed;
  } catch {
    // A damaged annotation: fall back to the observed object.
  }
  return undefined;
}

/** Server-side apply: the fields of Metacontroller's own Apply entry, nothing else. */
function appliedFields(object: KubeObject): KubeObject | undefined {
  const entry = (object.metadata.managedFields ?? []).find(
    (e) => e.manager === 'metacontroller' && e.operation === 'Apply' && !e.subresource,
  );
  const fields = entry?.fieldsV1 as Record<string, unknown> | undefined;
  if (!fields || typeof fields !== 'object') return undefined;
  const picked = pickFields(object, fields) as Record<string, unknown>;
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
 * Otherwise (neither shows) the observed object without status and system metadata.
 */
export function asDesired(object: KubeObject): KubeObject {
  const applied = appliedFields(object);
  if (applied) return withoutSystemMetadata(applied);
  const lastApplied = parseLastApplied(object);
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
