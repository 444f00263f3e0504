// The PythonLambda finalize hook: delete every child, and let the PythonLambda go once none is left.
import { allObjects } from '../metacontroller/objects.js';
import { observedConditions, toCondition } from '../status/conditions.js';
import { previousStatus } from '../status/previous-status.js';
import { READY } from '../status/rollout.js';
import { requestTime, transitionTimeFrom } from '../status/transition-time.js';
import type { CompositeRequest, CompositeResponse } from './composite-types.js';
import type { HookContext } from './hook-context.js';

export function finalizePythonLambda(
  request: CompositeRequest,
  ctx: HookContext,
): CompositeResponse {
  const remaining = allObjects(request.children);
  const previous = previousStatus(request.parent.status);
  const when = transitionTimeFrom(requestTime(request.parent, []), ctx.now);
  const message =
    remaining.length === 0
      ? 'all children deleted'
      : `deleting ${remaining.map((c) => `${c.kind} ${c.metadata.name}`).join(', ')}`;
  const ready = toCondition(
    { type: READY, status: 'False', reason: 'Terminating', message },
    observedConditions(previous),
    request.parent.metadata.generation,
    when,
  );
  const { url, codeHash } = previous;
  return {
    status: {
      conditions: [ready],
      replicas: previous.replicas ?? 0,
      readyReplicas: previous.readyReplicas ?? 0,
      updatedReplicas: previous.updatedReplicas ?? 0,
      ...(url === undefined ? {} : { url }),
      ...(codeHash === undefined ? {} : { codeHash }),
    },
    children: [],
    finalized: remaining.length === 0,
  };
}
