// The decorator finalize hook, called when the Deployment loses its pylambda.dev/handler
// annotation or is deleted: remove the attachments and every annotation pylambda wrote. The one
// exception is a Deployment that opts out but lives on while its pod template still mounts the
// settings ConfigMap: deleting it would leave every new pod (a rollout, an eviction, a node
// drain) stuck in ContainerCreating. That ConfigMap stays, still owned by the Deployment, so the
// garbage collector removes it with the Deployment; the user deletes it after unmounting it.
import { asDesired } from '../metacontroller/carry-over.js';
import { allObjects } from '../metacontroller/objects.js';
import { requiredConfigMaps } from '../lambda/configmap-references.js';
import { OUTPUT_ANNOTATIONS } from '../lambda/deployment-annotations.js';
import { parseBudget } from '../validation/counted-parse.js';
import type { DecoratorRequest, DecoratorResponse } from './decorator-types.js';
import type { HookContext } from './hook-context.js';

export function finalizeLambdaDeployment(
  request: DecoratorRequest,
  ctx: HookContext,
): DecoratorResponse {
  const deployment = request.object;
  const mounted = deployment.metadata.deletionTimestamp
    ? new Set<string>()
    : requiredConfigMaps(deployment.spec?.template?.spec);
  const observed = allObjects(request.attachments);
  const kept = observed.filter(
    (object) => object.kind === 'ConfigMap' && mounted.has(object.metadata.name),
  );
  const budget = parseBudget(ctx.maxParsedValues);
  return {
    annotations: Object.fromEntries(OUTPUT_ANNOTATIONS.map((key) => [key, null])),
    attachments: kept.map((object) => asDesired(object, budget)),
    finalized: observed.length === kept.length,
  };
}
