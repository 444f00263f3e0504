// Why the pods of the current code do not turn ready, from the pods themselves (the customize hook
// brings them as `related`): an image the node cannot pull, an init container (pip) that keeps
// failing, a container that crashes or cannot be created, a pod no node can take, or a handler
// whose import has not finished or failed (running, never ready). The Deployment's counts alone
// only say "0 of 2 run the current code"; this says what a user has to fix.
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { findObjects, type ObjectMap } from '../metacontroller/objects.js';
import type { ConditionVerdict } from './conditions.js';
import { LAMBDA_CONTAINER } from '../render/lambda-deployment.js';
import { ANNOTATION_TEMPLATE_HASH } from '../render/labels.js';

export const POD_GROUP = 'Pod.v1';

/** Waiting reasons that will not clear by themselves (a retry loop, not a start). */
const STUCK_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CrashLoopBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** A message kept to one line and a bounded length: status is read in `kubectl get -o wide`. */
function short(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The end of a log excerpt (a termination message from the logs): where the error is. */
function tail(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `…${line.slice(line.length - max + 1)}` : line;
}

function lastExit(status: ContainerStatus): string {
  const last = status.lastState?.terminated ?? status.state?.terminated;
  if (!last) return '';
  const detail = last.message ? `: ${tail(last.message, 240)}` : '';
  return ` (last exit code ${last.exitCode}${last.reason ? `, ${last.reason}` : ''}${detail})`;
}

/**
 * `restartsAlways`: an init container with `restartPolicy: Always` (a native sidecar) runs for
 * the pod's life, and running again after a crash is its normal way of recovering.
 */
function containerProblem(
  kind: string,
  status: ContainerStatus,
  restartsAlways = false,
): string | undefined {
  const waiting = status.state?.waiting;
  if (waiting?.reason && STUCK_WAITING.has(waiting.reason)) {
    const message = waiting.message ? `: ${short(waiting.message)}` : '';
    return `${kind} ${status.name} ${waiting.reason}${message}${lastExit(status)}`;
  }
  const terminated = status.state?.terminated;
  if (kind === 'init container' && terminated && terminated.exitCode !== 0) {
    return `${kind} ${status.name} failed${lastExit(status)}`;
  }
  // Between back-offs a failing init container runs again: still the same failure, and Ready
  // keeps saying so rather than losing the reason for the seconds each attempt takes. A main
  // container that runs again after a crash may well have recovered, so only init containers.
  const failedBefore = status.lastState?.terminated;
  if (
    kind === 'init container' &&
    !restartsAlways &&
    status.state?.running &&
    failedBefore?.exitCode
  ) {
    const failures = Math.max(1, status.restartCount);
    return `${kind} ${status.name} is retrying after ${failures} failed attempt${failures === 1 ? '' : 's'}${lastExit(status)}`;
  }
  return undefined;
}

/**
 * A runtime up but unready this long is worth naming: every new pod is unready for its first
 * probe periods (5 s apart), and a routine rollout should not print a problem.
 */
export const UNREADY_GRACE_SECONDS = 30;

/** When a running, unready runtime's grace runs out (NaN when it is not running). */
function graceEndsAt(container: ContainerStatus): number {
  return Date.parse(container.state?.running?.startedAt ?? '') + UNREADY_GRACE_SECONDS * 1000;
}

function unreadyTooLong(container: ContainerStatus, now: Date): boolean {
  return graceEndsAt(container) <= now.getTime();
}

function podProblem(pod: Pod, now: Date): string | undefined {
  const name = pod.metadata?.name ?? '';
  const status = pod.status ?? {};
  const scheduled = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return `pod ${name} cannot be scheduled: ${short(scheduled.message ?? 'no node fits it')}`;
  }
  const sidecars = new Set(
    (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name),
  );
  for (const init of status.initContainerStatuses ?? []) {
    const problem = containerProblem('init container', init, sidecars.has(init.name));
    if (problem) return `pod ${name}: ${problem}`;
  }
  for (const container of status.containerStatuses ?? []) {
    const problem = containerProblem('container', container);
    if (problem) return `pod ${name}: ${problem}`;
    if (!container.ready && container.name === LAMBDA_CONTAINER && unreadyTooLong(container, now)) {
      // Only the runtime knows why: it logs the import error. Long imports look the same.
      return `pod ${name}: the runtime has run ${UNREADY_GRACE_SECONDS}s or more without turning ready (/healthz fails until the handler has imported; an import error is in kubectl logs ${name} -c lambda)`;
    }
  }
  return undefined;
}

/**
 * The first problem of a live pod of template `templateHash` (oldest pod first), or undefined
 * when the pods were not sent or none of them has one.
 */
export function currentPodsProblem(
  related: ObjectMap | null | undefined,
  templateHash: string | undefined,
  now: Date,
): string | undefined {
  for (const pod of currentPods(related, templateHash)) {
    const problem = podProblem(pod, now);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The next moment at which currentPodsProblem's verdict changes with the clock alone: the
 * earliest grace of an unready runtime that has not run out yet. Until then, the same request
 * may deserve another answer later, so it is not one to answer again from a cache.
 */
export function podProblemChangesAt(
  related: ObjectMap | null | undefined,
  templateHash: string | undefined,
  now: Date,
): number | undefined {
  let next: number | undefined;
  for (const pod of currentPods(related, templateHash)) {
    for (const container of pod.status?.containerStatuses ?? []) {
      if (container.ready || container.name !== LAMBDA_CONTAINER) continue;
      const ends = graceEndsAt(container);
      if (ends > now.getTime() && (next === undefined || ends < next)) next = ends;
    }
  }
  return next;
}

/**
 * A pod that has ended for good: an evicted pod (Failed) stays listed until it is collected,
 * long after its replacement runs, and what its containers last showed is nothing to fix now.
 */
function ended(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}

/** Code-point order, as every answer must be the same whatever the process's locale. */
function byCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The live pods of template `templateHash`, oldest first; none when the pods were not sent. */
function currentPods(
  related: ObjectMap | null | undefined,
  templateHash: string | undefined,
): Pod[] {
  if (!related || !(POD_GROUP in related) || !templateHash) return [];
  return (findObjects(related, POD_GROUP) as unknown as Pod[])
    .filter(
      (pod) =>
        !pod.metadata?.deletionTimestamp &&
        !ended(pod) &&
        pod.metadata?.annotations?.[ANNOTATION_TEMPLATE_HASH] === templateHash,
    )
    .sort(
      (a, b) =>
        byCodePoints(a.metadata?.creationTimestamp ?? '', b.metadata?.creationTimestamp ?? '') ||
        byCodePoints(a.metadata?.name ?? '', b.metadata?.name ?? ''),
    );
}

/** Verdicts that say pods of the current code are missing or unready: a pod problem explains them. */
const EXPLAINED = new Set([
  'RollingOut',
  'RolloutStalled',
  'Unavailable',
  'PartlyAvailable',
  'Restarting',
]);

/** The verdict, its message followed by the pods' problem when there is one to tell. */
export function withPodProblem(
  verdict: ConditionVerdict,
  problem: string | undefined,
): ConditionVerdict {
  if (!problem || !EXPLAINED.has(verdict.reason)) return verdict;
  return { ...verdict, message: `${verdict.message}; ${problem}` };
}
