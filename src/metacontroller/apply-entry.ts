// Metacontroller's server-side apply entry in a child's managedFields, while it is what
// Metacontroller does now. Each strategy leaves its mark: dynamic-apply the last-applied
// annotation (written with an Update), server-side apply an entry of operation Apply. A switch
// leaves the other mark behind. From dynamic-apply to server-side apply, the old annotation
// stays and the Apply entry is the newer write. Back from server-side apply to dynamic-apply
// (Metacontroller's default, installed again from its upstream manifests), the Apply entry
// stays and shrinks as Update writes take its fields over: its leftover fields are then only a
// part of the object, and dynamic-apply deletes whatever a desired object leaves out. So the
// later of Metacontroller's two writes says which strategy holds.
import type { KubeObject } from './objects.js';

/** Written by the dynamic-apply strategy: exactly the object as we last desired it. */
export const LAST_APPLIED = 'metacontroller.k8s.io/last-applied-configuration';
export const METACONTROLLER_MANAGER = 'metacontroller';

type ManagedFieldsEntry = NonNullable<KubeObject['metadata']['managedFields']>[number];

function entries(object: KubeObject, operation: 'Apply' | 'Update'): ManagedFieldsEntry[] {
  return (object.metadata.managedFields ?? []).filter(
    (entry) =>
      entry.manager === METACONTROLLER_MANAGER &&
      entry.operation === operation &&
      (entry.subresource ?? '') === '',
  );
}

function timeOf(entry: ManagedFieldsEntry): number {
  return Date.parse(entry.time ?? '');
}

/**
 * The Apply entry, unless the last-applied annotation is there and one of Metacontroller's
 * Update writes is strictly later than it (times the API server does not give leave the Apply
 * entry in force, as before any switch).
 */
export function currentApplyEntry(object: KubeObject): ManagedFieldsEntry | undefined {
  const apply = entries(object, 'Apply')[0];
  if (!apply) return undefined;
  if (object.metadata.annotations?.[LAST_APPLIED] === undefined) return apply;
  const applied = timeOf(apply);
  const updatedLater = entries(object, 'Update').some((entry) => timeOf(entry) > applied);
  return updatedLater ? undefined : apply;
}
