// What the API server adds to an object we asked for: system metadata, defaulted fields,
// managedFields and a status. Metacontroller sends objects from its informers exactly like this,
// so the benchmark's requests carry the same weight as the ones a cluster sends.
import { createHash } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Obj extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string; namespace?: string };
}

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A stable, realistic-looking uid derived from a seed. */
export function uid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Which field keys a list of objects is merged by (server-side apply's `k:{...}` entries). */
function listKey(field: string, item: JsonObject): JsonObject | undefined {
  if (field === 'ownerReferences') return { uid: item.uid ?? null };
  if (field === 'volumeMounts') return { mountPath: item.mountPath ?? null };
  if (field === 'ports' && 'containerPort' in item)
    return { containerPort: item.containerPort ?? null, protocol: item.protocol ?? 'TCP' };
  if (field === 'ports') return { port: item.port ?? null, protocol: item.protocol ?? 'TCP' };
  if (['containers', 'initContainers', 'env', 'volumes', 'conditions'].includes(field)) {
    return field === 'conditions' ? { type: item.type ?? null } : { name: item.name ?? null };
  }
  return undefined;
}

/** The FieldsV1 set of every field in `value`, as a field manager that applied it would own. */
export function fieldsV1(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (isObject(child)) {
      out[`f:${key}`] = fieldsV1(child);
    } else if (Array.isArray(child) && child.length > 0 && child.every(isObject)) {
      const keyed: JsonObject = {};
      let atomic = false;
      for (const item of child as JsonObject[]) {
        const k = listKey(key, item);
        if (!k) {
          atomic = true;
          break;
        }
        keyed[`k:${JSON.stringify(k)}`] = { '.': {}, ...fieldsV1(item) };
      }
      out[`f:${key}`] = atomic ? {} : keyed;
    } else {
      out[`f:${key}`] = {};
    }
  }
  return out;
}

export function managedField(
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  time: string,
  fields: JsonObject,
  subresource?: string,
): JsonObject {
  return {
    manager,
    operation,
    apiVersion,
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: fields,
    ...(subresource ? { subresource } : {}),
  };
}

export interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/**
 * `desired` as the API server stores it after Metacontroller created it with server-side apply:
 * the controller's selector label and owner reference, system metadata, defaults, managedFields.
 */
export function asStoredChild(
  desired: Obj,
  owner: Owner,
  options: { time: string; resourceVersion: number; selectorLabel?: string },
): Obj {
  const object = clone(desired);
  const metadata = object.metadata;
  if (options.selectorLabel) {
    metadata.labels = {
      ...(isObject(metadata.labels) ? metadata.labels : {}),
      'controller-uid': owner.uid,
    };
  }
  metadata.ownerReferences = [{ ...owner, controller: true, blockOwnerDeletion: true }];
  const applied = fieldsV1({ metadata: { labels: metadata.labels ?? {} } });
  const appliedMetadata = applied['f:metadata'] as JsonObject;
  appliedMetadata['f:ownerReferences'] = { [`k:${JSON.stringify({ uid: owner.uid })}`]: {} };
  const { metadata: _m, apiVersion: _a, kind: _k, ...body } = object;
  Object.assign(applied, fieldsV1(body as JsonObject));
  const stored: Obj = {
    ...object,
    metadata: {
      ...metadata,
      uid: uid(`${object.kind}/${metadata.namespace}/${metadata.name}`),
      resourceVersion: String(options.resourceVersion),
      creationTimestamp: options.time,
      managedFields: [
        managedField('metacontroller', 'Apply', object.apiVersion, options.time, applied),
      ],
    },
  };
  if (object.kind === 'Deployment') defaultDeployment(stored, options.time);
  if (object.kind === 'Service') defaultService(stored, options.resourceVersion);
  return stored;
}

function defaultContainer(container: JsonObject): void {
  container.imagePullPolicy ??= 'IfNotPresent';
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  for (const probeName of ['readinessProbe', 'livenessProbe']) {
    const probe = container[probeName];
    if (!isObject(probe)) continue;
    probe.successThreshold ??= 1;
    probe.timeoutSeconds ??= 1;
    if (isObject(probe.httpGet)) probe.httpGet.scheme ??= 'HTTP';
  }
}

/** A Deployment after the Deployment controller rolled it out: defaults, revision, status. */
export function defaultDeployment(deployment: Obj, time: string): void {
  const metadata = deployment.metadata;
  metadata.generation = 1;
  metadata.annotations = {
    ...(isObject(metadata.annotations) ? metadata.annotations : {}),
    'deployment.kubernetes.io/revision': '1',
  };
  const spec = deployment.spec as JsonObject;
  spec.progressDeadlineSeconds ??= 600;
  spec.revisionHistoryLimit ??= 10;
  const podSpec = (spec.template as JsonObject).spec as JsonObject;
  podSpec.dnsPolicy ??= 'ClusterFirst';
  podSpec.restartPolicy ??= 'Always';
  podSpec.schedulerName ??= 'default-scheduler';
  podSpec.terminationGracePeriodSeconds ??= 30;
  for (const list of ['containers', 'initContainers']) {
    for (const container of (podSpec[list] as JsonObject[] | undefined) ?? []) {
      defaultContainer(container);
    }
  }
  for (const volume of (podSpec.volumes as JsonObject[] | undefined) ?? []) {
    if (isObject(volume.configMap)) volume.configMap.defaultMode ??= 420;
  }
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const replicaSet = `${metadata.name}-${uid(metadata.name).slice(0, 10).replace(/-/g, '')}`;
  deployment.status = {
    observedGeneration: 1,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    conditions: [
      {
        type: 'Available',
        status: 'True',
        lastUpdateTime: time,
        lastTransitionTime: time,
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
      },
      {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: time,
        lastTransitionTime: time,
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${replicaSet}" has successfully progressed.`,
      },
    ],
  };
  const managed = metadata.managedFields as JsonObject[];
  managed.push(
    managedField('kube-controller-manager', 'Update', 'apps/v1', time, {
      'f:metadata': { 'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} } },
    }),
    managedField(
      'kube-controller-manager',
      'Update',
      'apps/v1',
      time,
      { 'f:status': fieldsV1(deployment.status) },
      'status',
    ),
  );
}

export function defaultService(service: Obj, seed: number): void {
  const spec = service.spec as JsonObject;
  const ip = `10.96.${(seed >> 8) & 255}.${seed & 255}`;
  spec.clusterIP ??= ip;
  spec.clusterIPs ??= [ip];
  spec.internalTrafficPolicy ??= 'Cluster';
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
  spec.sessionAffinity ??= 'None';
  service.status = { loadBalancer: {} };
}
