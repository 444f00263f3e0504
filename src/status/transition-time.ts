// When did a condition flip? Hooks are pure, so rather than reading a clock we take the newest
// time the request itself carries: the parent's last spec write (managedFields), its creation,
// and the observed Deployment's rollout conditions. Those are the events that flip Ready, and
// sending the same request twice gives the same answer. The clock is only the fallback for a
// request that carries no time at all.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../metacontroller/objects.js';

function newest(times: (string | undefined)[]): number | undefined {
  let best: number | undefined;
  for (const time of times) {
    if (!time) continue;
    const ms = Date.parse(time);
    if (Number.isFinite(ms) && (best === undefined || ms > best)) best = ms;
  }
  return best;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function requestTime(
  parent: KubeObject,
  observed: (Deployment | undefined)[],
): number | undefined {
  const times: (string | undefined)[] = [parent.metadata.creationTimestamp];
  for (const entry of parent.metadata.managedFields ?? []) times.push(entry.time);
  for (const deployment of observed) {
    for (const condition of deployment?.status?.conditions ?? []) {
      times.push(condition.lastUpdateTime, condition.lastTransitionTime);
    }
  }
  return newest(times);
}

/** A transition-time thunk: the request's own newest time, else `now()`. */
export function transitionTimeFrom(requestMs: number | undefined, now: () => Date): () => string {
  return () => rfc3339(requestMs ?? now().getTime());
}
