// How does Metacontroller apply this lambda's children? The observed children show it: the
// dynamic-apply strategy writes its last-applied annotation on each, server-side apply leaves a
// managedFields entry of manager `metacontroller` with operation Apply. A configured strategy
// (PYLAMBDA_APPLY_STRATEGY) overrides what the request shows.
import type { ApplyStrategy } from '../lambda/code-size.js';
import { LAST_APPLIED } from './carry-over.js';
import { allObjects, type KubeObject, type ObjectMap } from './objects.js';

export const METACONTROLLER_MANAGER = 'metacontroller';

export function metacontrollerApplyEntry(object: KubeObject) {
  return (object.metadata.managedFields ?? []).find(
    (entry) =>
      entry.manager === METACONTROLLER_MANAGER &&
      entry.operation === 'Apply' &&
      (entry.subresource ?? '') === '',
  );
}

/** What the children show, or undefined when they show nothing (no child yet). */
export function observedApplyStrategy(
  children: ObjectMap | null | undefined,
): ApplyStrategy | undefined {
  const objects = allObjects(children);
  // A switch from dynamic-apply to server-side apply leaves old annotations behind; an Apply
  // entry can only come from server-side apply, so it wins.
  if (objects.some((object) => metacontrollerApplyEntry(object))) return 'server-side-apply';
  if (objects.some((object) => object.metadata.annotations?.[LAST_APPLIED] !== undefined)) {
    return 'dynamic-apply';
  }
  return undefined;
}
