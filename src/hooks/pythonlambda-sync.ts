// The PythonLambda sync hook: spec -> ConfigMap, Deployment and Service, and a status that says
// whether the current code serves. Pure: the same request always gives the same response.
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { PythonLambdaStatus } from '../generated/pythonlambda-status.js';
import { codeBytes, codeTooLargeMessage } from '../lambda/code-size.js';
import { pythonLambdaSpec, type LambdaSpec } from '../lambda/python-lambda-spec.js';
import { asDesired } from '../metacontroller/carry-over.js';
import {
  allObjects,
  DEPLOYMENT_GROUP,
  findObject,
  type KubeObject,
} from '../metacontroller/objects.js';
import { renderCodeConfigMap } from '../render/code-configmap.js';
import { codeHash, deploymentName, renderLambdaDeployment } from '../render/lambda-deployment.js';
import { lambdaServiceName, renderService, serviceUrl } from '../render/lambda-service.js';
import { commonLabels, selectorLabels } from '../render/labels.js';
import { formatProblems } from '../validation/problems.js';
import { observedConditions, toCondition, type ConditionVerdict } from '../status/conditions.js';
import { previousStatus } from '../status/previous-status.js';
import { READY, rolloutVerdict } from '../status/rollout.js';
import { requestTime, transitionTimeFrom } from '../status/transition-time.js';
import type { CompositeRequest, CompositeResponse } from './composite-types.js';
import type { HookContext } from './hook-context.js';

interface Observed {
  deployment: Deployment | undefined;
  previousStatus: PythonLambdaStatus;
}

function replicaCounts(deployment: Deployment | undefined): Partial<PythonLambdaStatus> {
  const status = deployment?.status ?? {};
  return {
    replicas: status.replicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    updatedReplicas: status.updatedReplicas ?? 0,
  };
}

function statusWith(
  request: CompositeRequest,
  observed: Observed,
  verdict: ConditionVerdict,
  fields: Partial<PythonLambdaStatus>,
  ctx: HookContext,
): PythonLambdaStatus {
  const when = transitionTimeFrom(requestTime(request.parent, [observed.deployment]), ctx.now);
  const previous = observedConditions(observed.previousStatus);
  const ready = toCondition(verdict, previous, request.parent.metadata.generation, when);
  // Conditions other than Ready belong to nobody else; drop them rather than let them go stale.
  return { conditions: [ready], ...replicaCounts(observed.deployment), ...fields };
}

/** Keep every observed child exactly as it is, and say why in Ready=False. */
function keepChildren(
  request: CompositeRequest,
  observed: Observed,
  reason: string,
  message: string,
  ctx: HookContext,
): CompositeResponse {
  const { url, codeHash: hash } = observed.previousStatus;
  return {
    status: statusWith(
      request,
      observed,
      { type: READY, status: 'False', reason, message },
      {
        ...(url === undefined ? {} : { url }),
        ...(hash === undefined ? {} : { codeHash: hash }),
      },
      ctx,
    ),
    children: allObjects(request.children).map(asDesired),
  };
}

function render(spec: LambdaSpec, ctx: HookContext) {
  const serviceName = lambdaServiceName(spec.name);
  return {
    configMap: renderCodeConfigMap(spec, ctx.runtimeSource),
    deployment: renderLambdaDeployment(spec, ctx.runtimeSource),
    service: renderService({
      settings: spec,
      name: serviceName,
      selector: selectorLabels(spec.name),
      labels: commonLabels(spec.name),
    }),
    url: serviceUrl(serviceName, spec, ctx.clusterDomain),
  };
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
    return keepChildren(
      request,
      observed,
      'InvalidSpec',
      `invalid spec: ${formatProblems(result.problems)}`,
      ctx,
    );
  }
  const spec = result.spec;
  const bytes = codeBytes(spec);
  if (bytes > ctx.maxCodeBytes) {
    return keepChildren(
      request,
      observed,
      'CodeTooLarge',
      codeTooLargeMessage(bytes, ctx.maxCodeBytes),
      ctx,
    );
  }
  const children = render(spec, ctx);
  const verdict = rolloutVerdict({
    desired: children.deployment,
    observed: observed.deployment,
    url: children.url,
  });
  return {
    status: statusWith(
      request,
      observed,
      verdict,
      {
        url: children.url,
        codeHash: codeHash(spec, ctx.runtimeSource),
      },
      ctx,
    ),
    children: [children.configMap, children.deployment, children.service] as KubeObject[],
  };
}
