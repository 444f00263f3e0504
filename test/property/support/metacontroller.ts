// Requests as Metacontroller v4.17.2 builds them (docs/metacontroller.md §3-§4), and what it
// observes after applying an answer: the objects with system metadata, API-server defaults, a
// status, and (with the default dynamic-apply strategy) the last-applied annotation.
import fc from 'fast-check';
import { goJson, goStruct } from '../../fixtures/go-json.js';
import { rolloutStatus } from '../../fixtures/observed.js';
import type { Child } from './contract.js';
import {
  annotations,
  anyText,
  jsonNoise,
  kubeTime,
  labels,
  parseable,
  serviceName,
  subdomainName,
  uidOf,
} from './kube-arbitraries.js';

export type HookVersion = 'v1' | 'v2';
export type ApplyStrategy = 'dynamic-apply' | 'server-side-apply';
export type DeploymentState = 'none' | 'created' | 'rolling' | 'stalled' | 'rolled-out';

export const LAST_APPLIED = 'metacontroller.k8s.io/last-applied-configuration';
export const COMPOSITE_GROUPS = [
  'ConfigMap.v1',
  'Deployment.apps/v1',
  'Service.v1',
  'HorizontalPodAutoscaler.autoscaling/v2',
  'PodDisruptionBudget.policy/v1',
];
export const DECORATOR_GROUPS = ['ConfigMap.v1', 'Service.v1'];
const OBSERVED_AT = '2026-08-20T10:00:01Z';

type Json = Record<string, unknown>;
export type ObjectMap = Record<string, Record<string, Child>>;

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** `Kind.apiVersion` -> `name` (v1) or `namespace/name` (v2) -> object; every group present. */
export function childMap(
  children: Child[],
  namespace: string,
  version: HookVersion,
  groups: string[],
): ObjectMap {
  const map: ObjectMap = {};
  for (const group of groups) map[group] = {};
  for (const child of children) {
    const group = `${child.kind}.${child.apiVersion}`;
    const key =
      version === 'v1'
        ? child.metadata.name
        : `${child.metadata.namespace ?? namespace}/${child.metadata.name}`;
    (map[group] ??= {})[key] = child;
  }
  return map;
}

export function compositeBody(fields: {
  controller?: unknown;
  parent: unknown;
  children: unknown;
  finalizing: boolean;
}): string {
  return goStruct([
    ['controller', fields.controller ?? {}],
    ['parent', fields.parent],
    ['children', fields.children],
    ['related', {}],
    ['finalizing', fields.finalizing],
  ]);
}

export function decoratorBody(fields: {
  controller?: unknown;
  object: unknown;
  attachments: unknown;
  related?: unknown;
  finalizing: boolean;
}): string {
  return goStruct([
    ['controller', fields.controller ?? {}],
    ['object', fields.object],
    ['attachments', fields.attachments],
    ['related', fields.related ?? {}],
    ['finalizing', fields.finalizing],
  ]);
}

/** A Deployment's status in one of the states a rollout goes through (zero counts omitted). */
export function deploymentStatus(
  state: DeploymentState,
  replicas: number,
  generation: number,
  at: string,
): Json | undefined {
  if (state === 'none') return undefined;
  return rolloutStatus(state, replicas, generation, at, (type, reason) => `${type} ${reason}`);
}

/** Fields the API server fills in; applying them twice changes nothing. */
function withServerDefaults(object: Json): void {
  const spec = object.spec as Json | undefined;
  if (!spec || typeof spec !== 'object') return;
  if (object.kind === 'Deployment') {
    spec.progressDeadlineSeconds ??= 600;
    const podSpec = (spec.template as Json | undefined)?.spec as Json | undefined;
    if (podSpec && typeof podSpec === 'object') {
      podSpec.dnsPolicy ??= 'ClusterFirst';
      podSpec.restartPolicy ??= 'Always';
      for (const container of (podSpec.containers as Json[] | undefined) ?? []) {
        container.imagePullPolicy ??= 'IfNotPresent';
        container.terminationMessagePath ??= '/dev/termination-log';
      }
    }
  }
  if (object.kind === 'Service') {
    spec.clusterIP ??= '10.96.0.17';
    spec.sessionAffinity ??= 'None';
  }
}

export interface ObserveOptions {
  namespace: string;
  parent: { apiVersion: string; kind: string; name: string; uid: string };
  strategy: ApplyStrategy;
  deployment: DeploymentState;
  /** When the Deployment's rollout conditions last changed. */
  rolloutAt: string;
}

/** One desired child as Metacontroller applies it and then observes it. */
export function observe(desired: Child, options: ObserveOptions): Child {
  const applied = clone(desired);
  applied.metadata.namespace ??= options.namespace;
  const observed = clone(applied) as Child & Json;
  const generation = 3;
  observed.metadata = {
    ...observed.metadata,
    ...(options.strategy === 'dynamic-apply'
      ? { annotations: { ...observed.metadata.annotations, [LAST_APPLIED]: goJson(applied) } }
      : {}),
    creationTimestamp: OBSERVED_AT,
    ...(observed.kind === 'Deployment' ? { generation } : {}),
    managedFields: [{ manager: 'metacontroller', operation: 'Update', time: OBSERVED_AT }],
    ownerReferences: [{ ...options.parent, blockOwnerDeletion: true, controller: true }],
    resourceVersion: '2001',
    uid: uidOf(observed.kind, options.namespace, observed.metadata.name),
  } as Child['metadata'];
  withServerDefaults(observed);
  if (observed.kind === 'Deployment') {
    const replicas = ((observed.spec as Json | undefined)?.replicas as number | undefined) ?? 1;
    const status = deploymentStatus(options.deployment, replicas, generation, options.rolloutAt);
    if (status) observed.status = status;
  } else if (observed.kind === 'Service') {
    observed.status = { loadBalancer: {} };
  }
  return observed;
}

export function observeAll(desired: Child[], options: ObserveOptions): Child[] {
  return desired.map((child) => observe(child, options));
}

export const hookVersion = fc.constantFrom<HookVersion>('v1', 'v2');
export const applyStrategy = fc.constantFrom<ApplyStrategy>('dynamic-apply', 'server-side-apply');
export const deploymentState = fc.constantFrom<DeploymentState>(
  'none',
  'created',
  'rolling',
  'stalled',
  'rolled-out',
);

type LastApplied = 'none' | 'labels' | 'damaged' | 'other-object';

/** What the last-applied annotation of an observed object holds, if anything. */
function lastApplied(
  variant: LastApplied,
  object: Child,
  extraLabels: Record<string, string>,
  damaged: string,
): string | undefined {
  const { apiVersion, kind } = object;
  const { name, namespace } = object.metadata;
  switch (variant) {
    case 'none':
      return undefined;
    case 'labels':
      return goJson({ apiVersion, kind, metadata: { labels: extraLabels, name, namespace } });
    case 'damaged':
      return damaged;
    case 'other-object':
      // About another object: the hook must fall back to the observed object itself.
      return goJson({ apiVersion, kind, metadata: { name: `${name}-other`, namespace } });
  }
}

const observedParts = fc.record({
  kind: fc.constantFrom('ConfigMap', 'Deployment', 'Service'),
  name: subdomainName(),
  serviceName: serviceName(),
  labels: labels(),
  annotations: annotations(3),
  lastApplied: fc.constantFrom<LastApplied>('none', 'labels', 'damaged', 'other-object'),
  lastAppliedLabels: labels(2),
  damaged: fc.constantFrom('{"kind":', 'null', '[]', '"text"', '{}'),
  created: kubeTime(),
  content: jsonNoise(),
  data: parseable(
    fc.dictionary(
      fc.stringMatching(/^[-._a-zA-Z0-9]{1,30}$/).filter((key) => key !== '.' && key !== '..'),
      anyText(80),
      { maxKeys: 3 },
    ),
  ),
  state: deploymentState,
  replicas: fc.integer({ min: 0, max: 5 }),
  podLabels: labels(2),
});

type ObservedParts = typeof observedParts extends fc.Arbitrary<infer T> ? T : never;

function observedFromParts(r: ObservedParts, namespace: string, kind: string): Child {
  const apiVersion = kind === 'Deployment' ? 'apps/v1' : 'v1';
  const name = kind === 'Service' ? r.serviceName : r.name;
  const metadata: Child['metadata'] & Json = {
    name,
    namespace,
    labels: r.labels,
    annotations: { ...r.annotations },
    uid: uidOf(kind, namespace, name),
    resourceVersion: '77',
    creationTimestamp: r.created,
    generation: 2,
  };
  const object: Child & Json = { apiVersion, kind, metadata };
  const last = lastApplied(r.lastApplied, object, r.lastAppliedLabels, r.damaged);
  if (last !== undefined) metadata.annotations![LAST_APPLIED] = last;
  if (kind === 'ConfigMap') object.data = r.data;
  if (kind === 'Deployment') {
    object.spec = {
      replicas: r.replicas,
      selector: { matchLabels: r.podLabels },
      template: {
        metadata: { labels: r.podLabels },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      },
      extra: r.content,
    };
    const status = deploymentStatus(r.state, r.replicas, 2, r.created);
    if (status) object.status = status;
  }
  if (kind === 'Service') {
    object.spec = { selector: r.podLabels, ports: [{ port: 80 }], extra: r.content };
    object.status = { loadBalancer: {} };
  }
  return object;
}

/** An object of one of `kinds` as Metacontroller observes it: valid names, random content. */
export function observedObject(namespace: string, kinds: string[]): fc.Arbitrary<Child> {
  return fc
    .tuple(observedParts, fc.constantFrom(...kinds))
    .map(([parts, kind]) => observedFromParts(parts, namespace, kind));
}

/** Up to `max` observed objects with distinct kind/name pairs. */
export function observedObjects(
  namespace: string,
  kinds: string[],
  max = 4,
): fc.Arbitrary<Child[]> {
  return fc.array(observedObject(namespace, kinds), { maxLength: max }).map((objects) => {
    const seen = new Set<string>();
    return objects.filter((o) => {
      const key = `${o.kind}/${o.metadata.name}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
  });
}
