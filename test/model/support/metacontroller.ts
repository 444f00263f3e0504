// Metacontroller's side of the lifecycle model, as docs/metacontroller.md describes v4.17.2: the
// customize hook's names become `related` objects; a sync request carries the parent and the
// children it owns (keyed as hook API v1 or v2 keys them); the answer is applied (created with
// an owner reference and the controller-uid label, marked as the apply strategy marks it), every
// owned child left out is deleted, and the status is written back with observedGeneration.
// Under dynamic-apply a create over a foreign object fails with AlreadyExists and is ignored;
// under server-side apply the apply is forced, which takes the object over.
import type { CompositeRequest, CompositeResponse } from '../../../src/hooks/composite-types.js';
import type { HookContext } from '../../../src/hooks/hook-context.js';
import { customizePythonLambda } from '../../../src/hooks/pythonlambda-customize.js';
import { syncPythonLambda } from '../../../src/hooks/pythonlambda-sync.js';
import type { ApplyStrategy } from '../../../src/lambda/code-size.js';
import { LAST_APPLIED } from '../../../src/metacontroller/apply-entry.js';
import type { KubeObject, ObjectMap } from '../../../src/metacontroller/objects.js';
import { ownedBy } from '../../../src/metacontroller/ownership.js';
import { Cluster, type Json } from './cluster.js';

export type HookVersion = 'v1' | 'v2';

export interface Parent extends KubeObject {
  spec: Json;
  status?: Json;
}

const RESOURCE_KINDS: Record<string, string> = {
  configmaps: 'ConfigMap',
  deployments: 'Deployment',
  services: 'Service',
};

const CHILD_GROUPS = ['ConfigMap.v1', 'Deployment.apps/v1', 'Service.v1'];
/** Every group a customize rule names is present, even when empty, as for children. */
const RELATED_GROUPS = [...CHILD_GROUPS, 'ReplicaSet.apps/v1'];

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** FieldsV1 of an applied object, as the API server records an Apply (lists keyed by name). */
export function fieldsOf(value: unknown): Json {
  if (Array.isArray(value)) {
    const fields: Json = {};
    value.forEach((item, i) => {
      const name = (item as Json | null)?.name;
      if (typeof name === 'string')
        fields[`k:${JSON.stringify({ name })}`] = { '.': {}, ...fieldsOf(item) };
      else if (typeof item === 'object' && item !== null) fields[`i:${i}`] = fieldsOf(item);
      else fields[`v:${JSON.stringify(item)}`] = {};
    });
    return fields;
  }
  if (typeof value === 'object' && value !== null) {
    const fields: Json = {};
    for (const [key, sub] of Object.entries(value)) {
      if (key === 'apiVersion' || key === 'kind') continue;
      const below = fieldsOf(sub);
      fields[`f:${key}`] = typeof sub === 'object' && sub !== null ? { '.': {}, ...below } : {};
    }
    return fields;
  }
  return {};
}

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

function restartedAtOf(object: KubeObject): string | undefined {
  const template = (object.spec as Json | undefined)?.template as Json | undefined;
  const annotations = (template?.metadata as Json | undefined)?.annotations as Json | undefined;
  return annotations?.[RESTARTED_AT] as string | undefined;
}

/** A pod template with one more label, as the Deployment controller labels its ReplicaSets'. */
function withLabel(template: Json, key: string, value: string): Json {
  const metadata = (template.metadata ?? {}) as Json;
  const labels = (metadata.labels ?? {}) as Record<string, string>;
  return { ...clone(template), metadata: { ...metadata, labels: { ...labels, [key]: value } } };
}

/** A Service's defaults from the API server: fields the hook never rendered. */
function withServerDefaults(object: KubeObject, uid: string): void {
  if (object.kind === 'Service') {
    Object.assign(object.spec as Json, {
      clusterIP: `10.96.${uid.slice(-2)}.1`,
      ipFamilies: ['IPv4'],
      sessionAffinity: 'None',
    });
  }
}

export class MetacontrollerModel {
  /** Every answer the hook gave, for invariants on answers. */
  lastRequest: CompositeRequest | undefined;
  lastResponse: CompositeResponse | undefined;

  constructor(
    readonly cluster: Cluster,
    readonly strategy: ApplyStrategy,
    readonly version: HookVersion,
    readonly ctx: HookContext,
    /** Whether the CompositeController has the customize hook (config/controllers does). */
    readonly customize = true,
  ) {}

  private childMap(parent: Parent, objects: KubeObject[], groups: string[]): ObjectMap {
    const map: Record<string, Record<string, KubeObject>> = {};
    for (const group of groups) map[group] = {};
    for (const object of objects) {
      const key =
        this.version === 'v1'
          ? object.metadata.name
          : `${parent.metadata.namespace}/${object.metadata.name}`;
      (map[`${object.kind}.${object.apiVersion}`] ??= {})[key] = clone(object);
    }
    return map;
  }

  /** The Deployment's ReplicaSets as the API server shows them (the label selector matches). */
  private replicaSetObjects(): KubeObject[] {
    const deployment = this.cluster.deployment();
    if (!deployment) return [];
    return this.cluster.replicaSets.map((rs) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${deployment.metadata.name}-${rs.podTemplateHash}`,
        namespace: deployment.metadata.namespace,
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: deployment.metadata.name,
            uid: deployment.metadata.uid!,
            controller: true,
          },
        ],
      },
      spec: {
        replicas: rs.replicas,
        template: withLabel(rs.template, 'pod-template-hash', rs.podTemplateHash),
      },
      status: { replicas: rs.pods.length },
    }));
  }

  request(parent: Parent): CompositeRequest {
    const owned = [...this.cluster.objects.values()].filter(
      (o) =>
        ownedBy(o, parent.metadata.uid) &&
        o.metadata.labels?.['controller-uid'] === parent.metadata.uid,
    );
    const rules = this.customize
      ? customizePythonLambda({ parent: clone(parent) }, this.ctx).relatedResources
      : [];
    const related = rules.flatMap((rule) =>
      rule.resource === 'replicasets'
        ? this.replicaSetObjects()
        : (rule.names ?? [])
            .map((name) => this.cluster.get(RESOURCE_KINDS[rule.resource]!, name))
            .filter((o): o is KubeObject => o !== undefined),
    );
    // Through JSON, as on the wire.
    return clone({
      controller: {},
      parent,
      children: this.childMap(parent, owned, CHILD_GROUPS),
      related: this.customize ? this.childMap(parent, related, RELATED_GROUPS) : {},
      finalizing: false,
    });
  }

  sync(parent: Parent): CompositeResponse {
    const request = this.request(parent);
    const response = clone(syncPythonLambda(request, this.ctx));
    this.lastRequest = request;
    this.lastResponse = response;
    return response;
  }

  /**
   * The last request again, its parent now carrying the status the last answer wrote: what the
   * next resync sends when nothing else has changed (with ignoreStatusChanges, as
   * config/controllers sets it, the status write alone triggers no sync).
   */
  resyncWithOwnStatus(): CompositeResponse {
    const request = clone(this.lastRequest!);
    request.parent.status = clone(this.lastResponse!.status);
    return clone(syncPythonLambda(request, this.ctx));
  }

  private mark(object: KubeObject, desired: KubeObject): void {
    if (this.strategy === 'dynamic-apply') {
      object.metadata.annotations = {
        ...object.metadata.annotations,
        [LAST_APPLIED]: JSON.stringify(desired),
      };
    } else {
      object.metadata.managedFields = [
        ...(object.metadata.managedFields ?? []).filter((e) => e.manager !== 'metacontroller'),
        {
          manager: 'metacontroller',
          operation: 'Apply',
          fieldsType: 'FieldsV1',
          fieldsV1: fieldsOf(desired),
        },
      ];
    }
  }

  /** Apply the answer, delete what it left out, write the status. */
  apply(parent: Parent, response: CompositeResponse): void {
    const wanted = new Set<string>();
    for (const child of response.children) {
      const desired = clone(child);
      desired.metadata.namespace ??= parent.metadata.namespace;
      desired.metadata.labels = {
        ...desired.metadata.labels,
        'controller-uid': parent.metadata.uid!,
      };
      const key = Cluster.key(desired.kind, desired.metadata.name);
      wanted.add(key);
      const existing = this.cluster.objects.get(key);
      if (existing && !ownedBy(existing, parent.metadata.uid)) {
        if (this.strategy === 'dynamic-apply') continue; // AlreadyExists, ignored
        existing.metadata.ownerReferences = [
          {
            apiVersion: parent.apiVersion,
            kind: parent.kind,
            name: parent.metadata.name,
            uid: parent.metadata.uid!,
            controller: true,
          },
        ];
      }
      if (existing) this.update(existing, desired);
      else this.create(parent, desired);
    }
    for (const [key, object] of [...this.cluster.objects.entries()]) {
      if (!wanted.has(key) && ownedBy(object, parent.metadata.uid)) {
        this.cluster.deleteObject(object.kind, object.metadata.name);
      }
    }
    parent.status = { ...clone(response.status), observedGeneration: parent.metadata.generation };
  }

  private create(parent: Parent, desired: KubeObject): void {
    const uid = this.cluster.nextUid();
    const object = clone(desired);
    (object.metadata as unknown as Json).uid = uid;
    object.metadata.ownerReferences = [
      {
        apiVersion: parent.apiVersion,
        kind: parent.kind,
        name: parent.metadata.name,
        uid: parent.metadata.uid!,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
    if (object.kind === 'Deployment') (object.metadata as unknown as Json).generation = 1;
    this.mark(object, desired);
    withServerDefaults(object, uid);
    this.cluster.objects.set(Cluster.key(object.kind, object.metadata.name), object);
  }

  private update(existing: KubeObject, desired: KubeObject): void {
    if (existing.kind === 'ConfigMap' && existing.immutable === true) {
      if (JSON.stringify(existing.data) !== JSON.stringify(desired.data)) {
        throw new Error(`the answer changes immutable ConfigMap ${existing.metadata.name}`);
      }
    }
    const before = JSON.stringify(existing.spec);
    const restartedAt = restartedAtOf(existing);
    const { metadata, ...fields } = desired;
    Object.assign(existing, clone(fields));
    // Both apply strategies keep a field the answer never had and another client set:
    // `kubectl rollout restart`'s pod annotation (dynamic-apply merges with the last applied
    // object, server-side apply leaves kubectl's field to kubectl).
    if (restartedAt !== undefined && existing.kind === 'Deployment') {
      const template = (existing.spec as Json).template as Json;
      const meta = (template.metadata ??= {}) as Json;
      meta.annotations = { ...(meta.annotations as Json | undefined), [RESTARTED_AT]: restartedAt };
    }
    existing.metadata.labels = { ...existing.metadata.labels, ...metadata.labels };
    if (existing.kind === 'Service') withServerDefaults(existing, existing.metadata.uid ?? '00');
    if (existing.kind === 'Deployment' && JSON.stringify(existing.spec) !== before) {
      (existing.metadata as unknown as Json).generation = (existing.metadata.generation ?? 1) + 1;
    }
    this.mark(existing, desired);
  }
}
