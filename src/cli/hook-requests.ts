// Metacontroller-shaped sync requests for a lambda seen for the first time: every child or
// attachment group present and empty, no related objects, not finalizing. The hooks answer
// them with exactly the objects Metacontroller would create. A decorated Deployment's
// annotations settle only on the sync after that, once its attachments exist.
import type { CompositeRequest } from '../hooks/composite-types.js';
import type { DecoratorRequest, DeploymentObject } from '../hooks/decorator-types.js';
import {
  AUTOSCALER_GROUP,
  CONFIGMAP_GROUP,
  DEPLOYMENT_GROUP,
  DISRUPTION_BUDGET_GROUP,
  groupOf,
  SERVICE_GROUP,
  type KubeObject,
  type ObjectMap,
} from '../metacontroller/objects.js';

export function firstCompositeSync(parent: KubeObject): CompositeRequest {
  return {
    parent: { ...parent, metadata: { generation: 1, ...parent.metadata } },
    children: {
      [CONFIGMAP_GROUP]: {},
      [DEPLOYMENT_GROUP]: {},
      [SERVICE_GROUP]: {},
      [AUTOSCALER_GROUP]: {},
      [DISRUPTION_BUDGET_GROUP]: {},
    },
    related: {},
    finalizing: false,
  };
}

export function firstDecoratorSync(deployment: KubeObject): DecoratorRequest {
  return {
    object: deployment as DeploymentObject,
    attachments: { [CONFIGMAP_GROUP]: {}, [SERVICE_GROUP]: {} },
    related: {},
    finalizing: false,
  };
}

/** The sync after the first: the attachments it asked for observed as the Deployment's own. */
export function settledDecoratorSync(
  deployment: KubeObject,
  attachments: KubeObject[],
): DecoratorRequest {
  const observed: ObjectMap = { [CONFIGMAP_GROUP]: {}, [SERVICE_GROUP]: {} };
  for (const object of attachments) {
    const group = (observed[groupOf(object)] ??= {});
    group[object.metadata.name] = object;
  }
  return { ...firstDecoratorSync(deployment), attachments: observed };
}
