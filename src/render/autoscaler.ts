// The HorizontalPodAutoscaler of a PythonLambda with spec.autoscaling. It targets the
// PythonLambda itself (its scale subresource), not the Deployment: the autoscaler writes
// spec.replicas, the sync hook gives the Deployment that count, and nothing else writes it, so
// the autoscaler and the hook never undo each other's work.
import type {
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerBehavior,
  MetricSpec,
} from 'kubernetes-types/autoscaling/v2.js';
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';
import { commonLabels } from './labels.js';
import { dns1123SubdomainName } from './names.js';

export const PYTHONLAMBDA_API_VERSION = 'pylambda.dev/v1alpha1';

export function autoscalerName(lambdaName: string): string {
  return dns1123SubdomainName(lambdaName);
}

function utilization(resource: 'cpu' | 'memory', percent: number | undefined): MetricSpec[] {
  if (percent === undefined) return [];
  return [
    {
      type: 'Resource',
      resource: { name: resource, target: { type: 'Utilization', averageUtilization: percent } },
    },
  ];
}

/** Undefined when the lambda does not autoscale: Metacontroller then deletes an earlier one. */
export function renderAutoscaler(spec: LambdaSpec): HorizontalPodAutoscaler | undefined {
  const autoscaling = spec.autoscaling;
  if (!autoscaling) return undefined;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: autoscalerName(spec.name),
      namespace: spec.namespace,
      labels: commonLabels(spec.name),
    },
    spec: {
      scaleTargetRef: {
        apiVersion: PYTHONLAMBDA_API_VERSION,
        kind: 'PythonLambda',
        name: spec.name,
      },
      minReplicas: autoscaling.minReplicas ?? 1,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        ...utilization('cpu', autoscaling.targetCPUUtilizationPercentage),
        ...utilization('memory', autoscaling.targetMemoryUtilizationPercentage),
      ],
      // The schema holds it to autoscaling/v2's shape and bounds, so it passes through as given
      // (the cast: these Kubernetes types predate `tolerance`).
      ...(autoscaling.behavior
        ? { behavior: autoscaling.behavior as HorizontalPodAutoscalerBehavior }
        : {}),
    },
  };
}
