// The decorator sync hook: an annotated Deployment gets the runtime ConfigMap and a Service, and
// annotations saying where it is served. Bad annotations never fail the hook (Metacontroller
// would retry forever): the attachments stay as they are and pylambda.dev/error says what is wrong.
import { asDesired } from '../metacontroller/carry-over.js';
import { allObjects, type KubeObject } from '../metacontroller/objects.js';
import {
  CONFIGMAP_ANNOTATION,
  decoratedLambda,
  ERROR_ANNOTATION,
  SERVICE_ANNOTATION,
  URL_ANNOTATION,
} from '../lambda/deployment-annotations.js';
import { commonLabels } from '../render/labels.js';
import { renderService, serviceUrl } from '../render/lambda-service.js';
import { dns1035LabelName } from '../render/names.js';
import { renderRuntimeConfigMap } from '../render/runtime-configmap.js';
import { formatProblems } from '../validation/problems.js';
import type { DecoratorRequest, DecoratorResponse } from './decorator-types.js';
import type { HookContext } from './hook-context.js';

/** `-lambda` keeps the Service apart from the one a team usually names after its Deployment. */
export function decoratorServiceName(deploymentName: string): string {
  return dns1035LabelName(deploymentName, '-lambda');
}

export function syncLambdaDeployment(
  request: DecoratorRequest,
  ctx: HookContext,
): DecoratorResponse {
  const result = decoratedLambda(request.object);
  if (!result.ok) {
    return {
      annotations: {
        [ERROR_ANNOTATION]: `invalid pylambda annotations: ${formatProblems(result.problems)}`,
      },
      attachments: allObjects(request.attachments).map(asDesired),
    };
  }
  const { lambda } = result;
  const configMap = renderRuntimeConfigMap(lambda, ctx.runtimeSource);
  const serviceName = decoratorServiceName(lambda.settings.name);
  const service = renderService({
    settings: lambda.settings,
    name: serviceName,
    selector: lambda.selector,
    labels: commonLabels(lambda.settings.name),
  });
  return {
    annotations: {
      [SERVICE_ANNOTATION]: serviceName,
      [URL_ANNOTATION]: serviceUrl(serviceName, lambda.settings, ctx.clusterDomain),
      [CONFIGMAP_ANNOTATION]: configMap.metadata!.name!,
      [ERROR_ANNOTATION]: null,
    },
    attachments: [configMap, service] as KubeObject[],
  };
}
