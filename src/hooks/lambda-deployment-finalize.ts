// The decorator finalize hook, called when the Deployment loses its pylambda.dev/handler
// annotation or is deleted: remove the attachments and every annotation pylambda wrote. The one
// exception is a Deployment that opts out but lives on while its pod template still mounts the
// settings ConfigMap: deleting it would leave every new pod (a rollout, an eviction, a node
// drain) stuck in ContainerCreating. That ConfigMap stays, still owned by the Deployment, so the
// garbage collector removes it with the Deployment; the user deletes it after unmounting it.
// The same holds for the pods of an older ReplicaSet while a rollout replaces them: the edit that
// opts out may also drop the volume, and those pods (and any that ReplicaSet recreates) still
// mount it. Then every ConfigMap stays and the hook does not finalize, so it is called again at
// the Deployment's next status change, and lets them go once no older pod may run. A Deployment
// being deleted is not waited for: the garbage collector deletes its ReplicaSets only after it.
import { asDesired } from '../metacontroller/carry-over.js';
import { allObjects } from '../metacontroller/objects.js';
import { requiredConfigMaps } from '../lambda/configmap-references.js';
import { OUTPUT_ANNOTATIONS } from '../lambda/deployment-annotations.js';
import { olderPodsMayRun } from '../lambda/older-pods.js';
import { parseBudget } from '../validation/counted-parse.js';
import type { DecoratorRequest, DecoratorResponse } from './decorator-types.js';
import type { HookContext } from './hook-context.js';

export function finalizeLambdaDeployment(
  request: DecoratorRequest,
  ctx: HookContext,
): DecoratorResponse {
  const deployment = request.object;
  const living = !deployment.metadata.deletionTimestamp;
  const mounted = living ? requiredConfigMaps(deployment.spec?.template?.spec) : new Set<string>();
  const rollingOut = living && olderPodsMayRun(deployment);
  const observed = allObjects(request.attachments);
  const configMaps = observed.filter((object) => object.kind === 'ConfigMap');
  const keptForGood = configMaps.filter((object) => mounted.has(object.metadata.name));
  const kept = rollingOut ? configMaps : keptForGood;
  const budget = parseBudget(ctx.maxParsedValues);
  return {
    annotations: Object.fromEntries(OUTPUT_ANNOTATIONS.map((key) => [key, null])),
    attachments: kept.map((object) => asDesired(object, budget)),
    finalized: observed.length === keptForGood.length,
  };
}
