// The shapes Metacontroller sends: objects grouped as `Kind.apiVersion` -> key -> object, where
// the key is `name` (hook API v1) or `namespace/name` (v2). We never rely on the key: every
// object carries its own metadata.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
  [field: string]: unknown;
}

export type ObjectMap = Record<string, Record<string, KubeObject> | null | undefined>;

export const CONFIGMAP_GROUP = 'ConfigMap.v1';
export const SERVICE_GROUP = 'Service.v1';
export const DEPLOYMENT_GROUP = 'Deployment.apps/v1';
export const AUTOSCALER_GROUP = 'HorizontalPodAutoscaler.autoscaling/v2';
export const DISRUPTION_BUDGET_GROUP = 'PodDisruptionBudget.policy/v1';

/** The group an object is sent under: `Kind.apiVersion`. */
export function groupOf(object: Pick<KubeObject, 'kind' | 'apiVersion'>): string {
  return `${object.kind}.${object.apiVersion}`;
}

/** An object's identity among one parent's children, which share the parent's namespace. */
export function childKey(group: string, name: string): string {
  return `${group}/${name}`;
}

/** childKey of an object, from its own kind, apiVersion and name. */
export function childKeyOf(object: KubeObject): string {
  return childKey(groupOf(object), object.metadata.name);
}

/** Every object of every group, ordered by group then name, so output does not depend on key order. */
export function allObjects(map: ObjectMap | null | undefined): KubeObject[] {
  const out: KubeObject[] = [];
  for (const group of Object.keys(map ?? {}).sort()) {
    const objects = Object.values(map?.[group] ?? {});
    objects.sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
    );
    out.push(...objects);
  }
  return out;
}

/** The object of `group` named `name`, whichever key format the hook version used. */
export function findObject<T extends KubeObject = KubeObject>(
  map: ObjectMap | null | undefined,
  group: string,
  name: string,
): T | undefined {
  const objects = map?.[group];
  if (!objects) return undefined;
  for (const object of Object.values(objects)) {
    if (object.metadata.name === name) return object as T;
  }
  return undefined;
}

/** Every object of `group`, whichever key format the hook version used. */
export function findObjects(map: ObjectMap | null | undefined, group: string): KubeObject[] {
  return Object.values(map?.[group] ?? {});
}
