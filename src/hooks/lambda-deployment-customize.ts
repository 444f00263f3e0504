// The decorator customize hook: asks Metacontroller to send, as `related`, any ConfigMap or
// Service holding a name an annotated Deployment's attachments want. Metacontroller sends as
// attachments only objects the Deployment controls and it marked as this decorator's, so without
// this a Service someone else made
// under `<deployment>-lambda` would be invisible to the sync hook, which would then ask for it
// (and, under server-side apply, Metacontroller would take it over). The names depend on the
// Deployment's name and namespace only, as Metacontroller caches the answer per generation.
import { settingsConfigMapName } from '../render/settings-configmap.js';
import type { DeploymentObject } from './decorator-types.js';
import { decoratorServiceName } from './lambda-deployment-sync.js';
import type { CustomizeResponse } from './pythonlambda-customize.js';

export interface DecoratorCustomizeRequest {
  controller?: unknown;
  parent: DeploymentObject;
}

export function customizeLambdaDeployment(request: DecoratorCustomizeRequest): CustomizeResponse {
  const { name, namespace } = request.parent.metadata;
  const ns = namespace!;
  return {
    relatedResources: [
      {
        apiVersion: 'v1',
        resource: 'configmaps',
        namespace: ns,
        names: [settingsConfigMapName(name)],
      },
      {
        apiVersion: 'v1',
        resource: 'services',
        namespace: ns,
        names: [decoratorServiceName(name)],
      },
    ],
  };
}
