// The decorator sync hook: an annotated Deployment gets the settings ConfigMap and a Service, and
// annotations saying where it is served. Bad annotations never fail the hook (Metacontroller
// would retry forever): the attachments stay as they are and pylambda.dev/error says what is wrong.
// So do PYLAMBDA_* variables in the pod template that would override what an annotation sets.
// A name held by an object this Deployment does not own (seen through the customize hook's
// `related`) is never asked for: that object would be taken over under server-side apply.
// pylambda.dev/service and /url name the Service, and /configmap the ConfigMap, only while
// Metacontroller sends it as this Deployment's own attachment: Metacontroller writes the
// annotations before it creates the attachments, so a name written earlier could be one that
// never comes (held by someone else with the customize hook dropped, a write the takeover guard
// refuses). While a wanted name is held by someone else, none of them is written. The same holds
// on the keep path (bad annotations, overriding variables, the legacy runtime): it writes no
// name, but removes each that is no longer true.
import { asDesired } from '../metacontroller/carry-over.js';
import {
  allObjects,
  CONFIGMAP_GROUP,
  SERVICE_GROUP,
  type KubeObject,
} from '../metacontroller/objects.js';
import {
  checkChildren,
  decoratorAttachmentOf,
  describeConflict,
  type ChildCheck,
  type WantedChild,
} from '../metacontroller/ownership.js';
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
import { renderSettingsConfigMap, settingsConfigMapName } from '../render/settings-configmap.js';
import { parseBudget } from '../validation/counted-parse.js';
import { formatSomeProblems } from '../validation/problems.js';
import { deploymentEnvProblems } from '../lambda/deployment-env.js';
import { LEGACY_RUNTIME_MESSAGE, runsLegacyRuntime } from '../lambda/legacy-runtime.js';
import type { DecoratorRequest, DecoratorResponse } from './decorator-types.js';
import type { HookContext } from './hook-context.js';

const NAMES_REMOVED = {
  [SERVICE_ANNOTATION]: null,
  [URL_ANNOTATION]: null,
  [CONFIGMAP_ANNOTATION]: null,
};

/** `-lambda` keeps the Service apart from the one a team usually names after its Deployment. */
export function decoratorServiceName(deploymentName: string): string {
  return dns1035LabelName(deploymentName, '-lambda');
}

/** The DecoratorController's name, which Metacontroller marks its attachments with. */
function decoratorName(controller: unknown): string | undefined {
  if (typeof controller !== 'object' || controller === null) return undefined;
  const metadata: unknown = (controller as { metadata?: unknown }).metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const name: unknown = (metadata as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The name annotations that are not true now, whatever else the answer says: each whose
 * attachment Metacontroller does not send as the Deployment's own, and all three while a wanted
 * name is held by someone else. Absent keys leave an annotation as it is.
 */
function untrueNames(check: ChildCheck, configMap: WantedChild, service: WantedChild) {
  if (check.conflicts.length > 0) return NAMES_REMOVED;
  return {
    ...(check.missing.includes(service)
      ? { [SERVICE_ANNOTATION]: null, [URL_ANNOTATION]: null }
      : {}),
    ...(check.missing.includes(configMap) ? { [CONFIGMAP_ANNOTATION]: null } : {}),
  };
}

export function syncLambdaDeployment(
  request: DecoratorRequest,
  ctx: HookContext,
): DecoratorResponse {
  // The names depend on the Deployment's name only, so they are checked even when the
  // annotations are bad: the keep path must not leave a URL naming a Service that went.
  const { name, namespace, uid } = request.object.metadata;
  const wantedConfigMap = {
    group: CONFIGMAP_GROUP,
    name: settingsConfigMapName(name),
    namespace: namespace!,
  };
  const wantedService = {
    group: SERVICE_GROUP,
    name: decoratorServiceName(name),
    namespace: namespace!,
  };
  const check = checkChildren(
    [wantedConfigMap, wantedService],
    request.attachments,
    request.related,
    uid,
    decoratorAttachmentOf(uid, decoratorName(request.controller)),
  );
  const keep = (problem: string): DecoratorResponse => {
    const budget = parseBudget(ctx.maxParsedValues);
    return {
      annotations: {
        ...untrueNames(check, wantedConfigMap, wantedService),
        [ERROR_ANNOTATION]: problem,
      },
      attachments: allObjects(request.attachments).map((object) => asDesired(object, budget)),
    };
  };
  const result = decoratedLambda(request.object);
  if (!result.ok)
    return keep(`invalid pylambda annotations: ${formatSomeProblems(result.problems)}`);
  const envProblems = deploymentEnvProblems(request.object.spec?.template?.spec);
  if (envProblems.length > 0) {
    return keep(`the pod template overrides pylambda settings: ${formatSomeProblems(envProblems)}`);
  }
  if (runsLegacyRuntime(request.object)) return keep(LEGACY_RUNTIME_MESSAGE);
  // No name is ours while one is held: the URL of a Deployment in error is not written.
  if (check.conflicts.length > 0) return keep(check.conflicts.map(describeConflict).join('; '));
  const { lambda } = result;
  const configMap = renderSettingsConfigMap(lambda);
  const service = renderService({
    settings: lambda.settings,
    name: wantedService.name,
    selector: lambda.selector,
    labels: commonLabels(lambda.settings.name),
    targetPort: lambda.settings.port,
  });
  const served = !check.missing.includes(wantedService);
  const mountable = !check.missing.includes(wantedConfigMap);
  return {
    annotations: {
      [SERVICE_ANNOTATION]: served ? wantedService.name : null,
      [URL_ANNOTATION]: served
        ? serviceUrl(wantedService.name, lambda.settings, ctx.clusterDomain)
        : null,
      [CONFIGMAP_ANNOTATION]: mountable ? wantedConfigMap.name : null,
      [ERROR_ANNOTATION]: null,
    },
    attachments: [configMap, service] as KubeObject[],
  };
}
