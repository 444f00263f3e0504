// What the observed Deployment says about its rollout, in the terms the Deployment controller
// itself uses (`kubectl rollout status`, DeploymentComplete): read once, judged elsewhere.
import type { Deployment, DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import { ANNOTATION_CODE_HASH, ANNOTATION_TEMPLATE_HASH } from '../render/labels.js';
import type { ReplicaSetCode } from './replica-set-code.js';

export interface DeploymentView {
  name: string;
  templateHash: string | undefined;
  codeHash: string | undefined;
  /** spec.replicas of the observed object: what the controller is working towards. */
  specReplicas: number;
  /** The controller's status describes the latest spec. */
  generationObserved: boolean;
  generation: number;
  /** Pods of every ReplicaSet, of the newest one, and available ones (status counts). */
  total: number;
  updated: number;
  available: number;
  /**
   * Pods of other code than the template's: from the ReplicaSets when the request brought them
   * (a restart's older pods run the current code), else every pod outside the newest one.
   */
  olderCode: number;
  /** Only a restart changed the template, and its ReplicaSet is not made yet (ReplicaSets sent). */
  restartPending: boolean;
  /**
   * Pods being deleted (status.terminatingReplicas, beta and on by default since Kubernetes
   * 1.35; 0 where the API server does not report it). `replicas` leaves them out, yet until
   * they are gone a terminating pod still drains calls with the code it loaded.
   */
  terminating: number;
  /** ProgressDeadlineExceeded's message, when the rollout stalled. */
  stalled: string | undefined;
  /** ReplicaFailure's message (quota, admission refusals), when pods cannot be created. */
  replicaFailure: string | undefined;
}

/** kubernetes-types stops at Kubernetes 1.30; this field came in 1.33. */
type DeploymentStatusWithTerminating = DeploymentStatus & { terminatingReplicas?: number };

export function deploymentView(
  deployment: Deployment,
  replicaSets?: ReplicaSetCode,
): DeploymentView {
  const annotations = deployment.spec?.template?.metadata?.annotations ?? {};
  const status: DeploymentStatusWithTerminating = deployment.status ?? {};
  const generation = deployment.metadata?.generation ?? 0;
  const conditions = status.conditions ?? [];
  const stalled = conditions.find(
    (c) =>
      c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded',
  );
  const failure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  return {
    name: deployment.metadata?.name ?? '',
    templateHash: annotations[ANNOTATION_TEMPLATE_HASH],
    codeHash: annotations[ANNOTATION_CODE_HASH],
    specReplicas: deployment.spec?.replicas ?? 1,
    generationObserved: (status.observedGeneration ?? 0) >= generation,
    generation,
    total: status.replicas ?? 0,
    updated: status.updatedReplicas ?? 0,
    available: status.availableReplicas ?? 0,
    olderCode: replicaSets?.olderCodePods ?? (status.replicas ?? 0) - (status.updatedReplicas ?? 0),
    restartPending: replicaSets?.restartPending ?? false,
    terminating: status.terminatingReplicas ?? 0,
    stalled: stalled ? (stalled.message ?? 'progress deadline exceeded') : undefined,
    replicaFailure: failure
      ? `${failure.reason ?? 'ReplicaFailure'}: ${failure.message ?? 'pods cannot be created'}`
      : undefined,
  };
}

/**
 * Every pod runs the newest template and is available, and no older ReplicaSet has any pod:
 * the controller's own DeploymentComplete. Only then are older ReplicaSets at zero for good.
 * No pod may still be terminating either: one draining its calls may still serve older code.
 */
export function rolloutComplete(view: DeploymentView): boolean {
  return (
    view.generationObserved &&
    view.updated === view.specReplicas &&
    view.total === view.specReplicas &&
    view.available === view.specReplicas &&
    view.terminating === 0
  );
}
