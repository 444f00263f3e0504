// The PythonLambda sync hook: spec -> ConfigMap, Deployment and Service, and a status that says
// whether the current code serves. Pure: the same request always gives the same response.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { PythonLambdaStatus } from '../generated/pythonlambda-status.js';
import { codeTooLargeMessage, configMapSize } from '../lambda/code-size.js';
import { pythonLambdaSpec, type LambdaSpec } from '../lambda/python-lambda-spec.js';
import { asDesired } from '../metacontroller/carry-over.js';
import {
  allObjects,
  CONFIGMAP_GROUP,
  DEPLOYMENT_GROUP,
  findObject,
  type KubeObject,
} from '../metacontroller/objects.js';
import { renderAvailabilityChildren } from '../render/availability.js';
import { renderCodeConfigMap } from '../render/code-configmap.js';
import { codeHash } from '../render/code-hash.js';
import { deploymentName, renderLambdaDeployment } from '../render/lambda-deployment.js';
import { lambdaServiceName, renderService, serviceUrl } from '../render/lambda-service.js';
import { commonLabels, selectorLabels } from '../render/labels.js';
import { formatProblems } from '../validation/problems.js';
import type { ConditionVerdict } from '../status/conditions.js';
import { lambdaStatus, replicaCounts, stillServed, type Served } from '../status/lambda-status.js';
import { previousStatus } from '../status/previous-status.js';
import { scaleStatus } from '../status/scale-status.js';
import { READY, rolloutVerdict } from '../status/rollout.js';
import type { CompositeRequest, CompositeResponse } from './composite-types.js';
import type { HookContext } from './hook-context.js';

interface Observed {
  deployment: Deployment | undefined;
  previousStatus: PythonLambdaStatus;
}

function statusWith(
  request: CompositeRequest,
  observed: Observed,
  verdict: ConditionVerdict,
  served: Served,
  ctx: HookContext,
): PythonLambdaStatus {
  const status = lambdaStatus({
    parent: request.parent,
    previous: observed.previousStatus,
    verdict,
    counts: replicaCounts(observed.deployment),
    served,
    deployment: observed.deployment,
    now: ctx.now,
  });
  return { ...status, ...scaleStatus(request.parent.metadata.name) };
}

/** Keep every observed child exactly as it is, and say why in Ready=False. */
function keepChildren(
  request: CompositeRequest,
  observed: Observed,
  reason: string,
  message: string,
  ctx: HookContext,
): CompositeResponse {
  const verdict: ConditionVerdict = { type: READY, status: 'False', reason, message };
  return {
    status: statusWith(request, observed, verdict, stillServed(observed.previousStatus), ctx),
    children: allObjects(request.children).map(asDesired),
  };
}

function render(spec: LambdaSpec, hash: string, ctx: HookContext) {
  const serviceName = lambdaServiceName(spec.name);
  return {
    configMap: renderCodeConfigMap(spec, ctx.runtimeSource, hash),
    deployment: renderLambdaDeployment(spec, hash),
    service: renderService({
      settings: spec,
      name: serviceName,
      selector: selectorLabels(spec.name),
      labels: commonLabels(spec.name),
    }),
    url: serviceUrl(serviceName, spec, ctx.clusterDomain),
  };
}

/** Earlier versions kept during a rollout, newest first: enough for overlapping rollouts. */
export const KEPT_CODE_VERSIONS = 3;

/**
 * Code ConfigMaps of earlier versions stay until the new version serves everywhere: pods of
 * the old ReplicaSet mount them, and a pod that restarts mid-rollout must find its files.
 * Only the newest few, so a version that never turns ready cannot pile up megabytes.
 */
function newestFirst(a: KubeObject, b: KubeObject): number {
  const byTime = (b.metadata.creationTimestamp ?? '').localeCompare(
    a.metadata.creationTimestamp ?? '',
  );
  return byTime !== 0 ? byTime : a.metadata.name < b.metadata.name ? -1 : 1;
}

function codeConfigMapsToKeep(
  request: CompositeRequest,
  current: string,
  rolledOut: boolean,
): KubeObject[] {
  if (rolledOut) return [];
  return Object.values(request.children?.[CONFIGMAP_GROUP] ?? {})
    .filter((configMap) => configMap.metadata.name !== current)
    .sort(newestFirst)
    .slice(0, KEPT_CODE_VERSIONS)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map(asDesired);
}

export function syncPythonLambda(request: CompositeRequest, ctx: HookContext): CompositeResponse {
  const { name, namespace } = request.parent.metadata;
  const observed: Observed = {
    deployment: findObject<KubeObject & Deployment>(
      request.children,
      DEPLOYMENT_GROUP,
      deploymentName(name),
    ),
    previousStatus: previousStatus(request.parent.status),
  };
  const result = pythonLambdaSpec(
    { name, namespace: namespace! },
    request.parent.spec,
    ctx.validateSpec,
  );
  if (!result.ok) {
    const message = `invalid spec: ${formatProblems(result.problems)}`;
    return keepChildren(request, observed, 'InvalidSpec', message, ctx);
  }
  const spec = result.spec;
  const hash = codeHash(spec, ctx.runtimeDigest);
  const children = render(spec, hash, ctx);
  const bytes = configMapSize(children.configMap.data ?? {}, ctx.applyStrategy);
  if (bytes > ctx.maxCodeBytes) {
    const message = codeTooLargeMessage(bytes, ctx.maxCodeBytes, ctx.applyStrategy);
    return keepChildren(request, observed, 'CodeTooLarge', message, ctx);
  }
  const verdict = rolloutVerdict({
    desired: children.deployment,
    observed: observed.deployment,
    url: children.url,
  });
  const keep = codeConfigMapsToKeep(
    request,
    children.configMap.metadata!.name!,
    verdict.status === 'True',
  );
  return {
    status: statusWith(request, observed, verdict, { url: children.url, codeHash: hash }, ctx),
    children: [
      children.configMap,
      ...keep,
      children.deployment,
      ...renderAvailabilityChildren(spec),
      children.service,
    ] as KubeObject[],
  };
}
