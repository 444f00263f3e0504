// How does Metacontroller apply this lambda's children? The observed children show it: the
// dynamic-apply strategy writes its last-applied annotation on each, server-side apply leaves a
// managedFields entry of manager `metacontroller` with operation Apply. A configured strategy
// (PYLAMBDA_APPLY_STRATEGY) overrides what the request shows.
import type { ApplyStrategy } from '../lambda/code-size.js';
import { currentApplyEntry, LAST_APPLIED } from './apply-entry.js';
import { allObjects, type ObjectMap } from './objects.js';

/** What the children show, or undefined when they show nothing (no child yet). */
export function observedApplyStrategy(
  children: ObjectMap | null | undefined,
): ApplyStrategy | undefined {
  const objects = allObjects(children);
  // A switch of strategy leaves the other one's mark behind: apply-entry.ts tells which is newer.
  if (objects.some((object) => currentApplyEntry(object))) return 'server-side-apply';
  if (objects.some((object) => object.metadata.annotations?.[LAST_APPLIED] !== undefined)) {
    return 'dynamic-apply';
  }
  return undefined;
}
