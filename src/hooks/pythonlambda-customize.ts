// The PythonLambda customize hook: asks Metacontroller to send, as `related`, any object that
// holds a name the lambda's children want, and the lambda's ReplicaSets. Metacontroller sends as children only what the
// lambda owns, so without this a Service or Deployment someone else made under that name would
// be invisible to the sync hook, which would then ask for it (and, under server-side apply,
// take it over). The answer depends on the parent's name, namespace and spec only, as
// Metacontroller caches it per generation.
import { pythonLambdaSpec } from '../lambda/python-lambda-spec.js';
import { availabilityRelatedRules } from '../render/availability.js';
import { codeConfigMapName } from '../render/code-configmap.js';
import { codeHash } from '../render/code-hash.js';
import { deploymentName } from '../render/lambda-deployment.js';
import { lambdaServiceName } from '../render/lambda-service.js';
import { selectorLabels } from '../render/labels.js';
import type { PythonLambdaObject } from './composite-types.js';
import type { HookContext } from './hook-context.js';

export interface CustomizeRequest {
  controller?: unknown;
  parent: PythonLambdaObject;
}

export interface RelatedResourceRule {
  apiVersion: string;
  resource: string;
  namespace: string;
  names?: string[];
  labelSelector?: { matchLabels: Record<string, string> };
}

export interface CustomizeResponse {
  relatedResources: RelatedResourceRule[];
}

export function customizePythonLambda(
  request: CustomizeRequest,
  ctx: HookContext,
): CustomizeResponse {
  const { name, namespace } = request.parent.metadata;
  const ns = namespace!;
  const rules: RelatedResourceRule[] = [
    {
      apiVersion: 'apps/v1',
      resource: 'deployments',
      namespace: ns,
      names: [deploymentName(name)],
    },
    { apiVersion: 'v1', resource: 'services', namespace: ns, names: [lambdaServiceName(name)] },
    ...availabilityRelatedRules(name, ns),
  ];
  const result = pythonLambdaSpec({ name, namespace: ns }, request.parent.spec, ctx.validateSpec);
  if (result.ok) {
    const configMap = codeConfigMapName(name, codeHash(result.spec));
    rules.unshift({ apiVersion: 'v1', resource: 'configmaps', namespace: ns, names: [configMap] });
  }
  // The Deployment's ReplicaSets carry its pod labels: which code versions still have pods.
  rules.push({
    apiVersion: 'apps/v1',
    resource: 'replicasets',
    namespace: ns,
    labelSelector: { matchLabels: selectorLabels(name) },
  });
  // Its pods: why those of the current code do not turn ready (status/pod-problems.ts).
  rules.push({
    apiVersion: 'v1',
    resource: 'pods',
    namespace: ns,
    labelSelector: { matchLabels: selectorLabels(name) },
  });
  return { relatedResources: rules };
}
