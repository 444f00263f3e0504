// PythonLambda parents as the API server returns them, with statuses Metacontroller wrote before,
// and the observed children a sync request may carry.
import fc from 'fast-check';
import {
  annotations,
  anyText,
  kubeTime,
  labelName,
  labels,
  oddName,
  parseable,
  subdomainName,
  uidOf,
} from './kube-arbitraries.js';
import type { DeploymentState, ObserveOptions } from './metacontroller.js';

export const PARENT_API_VERSION = 'pylambda.dev/v1alpha1';

export interface ParentFields {
  name: string;
  namespace: string;
  generation: number;
  /** Absent means no spec field at all. */
  spec?: Record<string, unknown>;
  /** Absent means no status field; null is sent as null. */
  status?: unknown;
  creationTimestamp?: string;
  specWrittenAt?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function parentObject(fields: ParentFields): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    annotations: fields.annotations,
    ...(fields.creationTimestamp ? { creationTimestamp: fields.creationTimestamp } : {}),
    finalizers: ['metacontroller.io/compositecontroller-pythonlambda-controller'],
    generation: fields.generation,
    labels: fields.labels,
    ...(fields.specWrittenAt
      ? { managedFields: [{ manager: 'kubectl', operation: 'Update', time: fields.specWrittenAt }] }
      : {}),
    name: fields.name,
    namespace: fields.namespace,
    resourceVersion: String(1000 + fields.generation),
    uid: uidOf('PythonLambda', fields.namespace, fields.name),
  };
  return {
    apiVersion: PARENT_API_VERSION,
    kind: 'PythonLambda',
    metadata,
    ...(fields.spec === undefined ? {} : { spec: fields.spec }),
    ...(fields.status === undefined ? {} : { status: fields.status }),
  };
}

export function parentRef(fields: ParentFields): ObserveOptions['parent'] {
  return {
    apiVersion: PARENT_API_VERSION,
    kind: 'PythonLambda',
    name: fields.name,
    uid: uidOf('PythonLambda', fields.namespace, fields.name),
  };
}

const conditionReason = fc.stringMatching(/^[A-Za-z]([A-Za-z0-9_,:]{0,20}[A-Za-z0-9_])?$/);

/** A status as the CRD's status schema lets Metacontroller store it. */
const storedStatus = fc.record(
  {
    observedGeneration: fc.integer({ min: 0, max: 2 ** 31 }),
    conditions: fc.array(
      fc.record(
        {
          type: fc.oneof(fc.constant('Ready'), fc.constantFrom('Other', 'Progressing')),
          status: fc.constantFrom('True', 'False', 'Unknown'),
          observedGeneration: fc.integer({ min: 0, max: 100 }),
          lastTransitionTime: kubeTime(),
          reason: conditionReason,
          message: anyText(80),
        },
        { requiredKeys: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
      ),
      { maxLength: 3 },
    ),
    replicas: fc.nat(10),
    readyReplicas: fc.nat(10),
    updatedReplicas: fc.nat(10),
    url: anyText(60),
    codeHash: fc.stringMatching(/^[0-9a-f]{64}$/),
  },
  { requiredKeys: [] },
);

/** Shapes the CRD would refuse, sent anyway: the hook must not copy them into its answer. */
const strangeStatus = fc.oneof(
  fc.constant({ conditions: 'Ready' }),
  fc.constant({ conditions: [null, 5, { type: 5 }] }),
  fc.constant({ conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 'yesterday' }] }),
  fc.constant({ url: 5, codeHash: { a: 1 }, replicas: '3' }),
  parseable(
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  ),
);

export const previousStatus: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: storedStatus, weight: 6 },
  { arbitrary: strangeStatus, weight: 1 },
);

/** A parent's identity and metadata; spec and status are chosen by the property. */
export const parentFields: fc.Arbitrary<Omit<ParentFields, 'spec' | 'status'>> = fc.record(
  {
    name: fc.oneof({ arbitrary: subdomainName(), weight: 9 }, { arbitrary: oddName(), weight: 1 }),
    namespace: labelName(),
    generation: fc.integer({ min: 1, max: 2 ** 31 }),
    creationTimestamp: kubeTime(),
    specWrittenAt: kubeTime(),
    labels: labels(),
    annotations: annotations(2),
  },
  { requiredKeys: ['name', 'namespace', 'generation', 'labels', 'annotations'] },
);

export interface FeedbackOptions {
  version: 'v1' | 'v2';
  strategy: ObserveOptions['strategy'];
  deployment: DeploymentState;
  rolloutAt: string;
}
