// The PythonLambda finalize hook: delete every child, and let the PythonLambda go once none is left.
import { allObjects } from '../metacontroller/objects.js';
import { lambdaStatus, stillServed } from '../status/lambda-status.js';
import { previousStatus } from '../status/previous-status.js';
import { READY } from '../status/rollout.js';
import { scaleStatus } from '../status/scale-status.js';
import type { CompositeRequest, CompositeResponse } from './composite-types.js';
import type { HookContext } from './hook-context.js';

export function finalizePythonLambda(
  request: CompositeRequest,
  ctx: HookContext,
): CompositeResponse {
  const remaining = allObjects(request.children);
  const previous = previousStatus(request.parent.status);
  const message =
    remaining.length === 0
      ? 'all children deleted'
      : `deleting ${remaining.map((c) => `${c.kind} ${c.metadata.name}`).join(', ')}`;
  return {
    status: {
      ...lambdaStatus({
        parent: request.parent,
        previous,
        verdict: { type: READY, status: 'False', reason: 'Terminating', message },
        counts: {
          replicas: previous.replicas ?? 0,
          readyReplicas: previous.readyReplicas ?? 0,
          updatedReplicas: previous.updatedReplicas ?? 0,
        },
        served: stillServed(previous),
        record: {
          ...(previous.servedCodeHash ? { servedCodeHash: previous.servedCodeHash } : {}),
          ...(previous.servedTemplateHash
            ? { servedTemplateHash: previous.servedTemplateHash }
            : {}),
        },
        now: ctx.now,
      }),
      ...(previous.runtimeVersion ? { runtimeVersion: previous.runtimeVersion } : {}),
      ...scaleStatus(request.parent.metadata.name),
    },
    children: [],
    finalized: remaining.length === 0,
  };
}
