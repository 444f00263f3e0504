// Request and response of the lambda-deployment hooks (DecoratorController sync and finalize).
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { KubeObject, ObjectMap } from '../metacontroller/objects.js';

export type DeploymentObject = KubeObject & Deployment & { metadata: { name: string } };

export interface DecoratorRequest {
  controller?: unknown;
  object: DeploymentObject;
  attachments?: ObjectMap | null;
  related?: ObjectMap | null;
  finalizing?: boolean;
}

/** Deliberately no `status`: the Deployment's status belongs to the Deployment controller. */
export interface DecoratorResponse {
  /** A value sets the annotation on the Deployment, null removes it, absent keys stay. */
  annotations: Record<string, string | null>;
  attachments: KubeObject[];
  finalized?: boolean;
}
