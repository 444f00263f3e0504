// The Service in front of a lambda's pods, and the URL it gives them. Service names must be
// DNS-1035 labels of at most 63 characters, whatever the lambda or Deployment is called.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { LambdaSettings } from '../lambda/settings.js';
import { dns1035LabelName } from './names.js';

export interface ServiceTarget {
  settings: LambdaSettings;
  /** Name of the Service, from `dns1035LabelName`. */
  name: string;
  /** Pod labels that select exactly the lambda's pods. */
  selector: Record<string, string>;
  labels: Record<string, string>;
  /**
   * Where the Service sends calls. A PythonLambda's container port is named `http`, so each
   * pod is reached on its own port: while a change of `spec.port` rolls out, the old pods
   * (still on the old port) keep answering. A decorated Deployment's pods are the user's, who
   * may not have named the port: its number.
   */
  targetPort: number | 'http';
}

export function lambdaServiceName(lambdaName: string): string {
  return dns1035LabelName(lambdaName);
}

export function serviceUrl(
  serviceName: string,
  settings: Pick<LambdaSettings, 'namespace' | 'port'>,
  clusterDomain: string,
): string {
  return `http://${serviceName}.${settings.namespace}.svc.${clusterDomain}:${settings.port}`;
}

export function renderService(target: ServiceTarget): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: target.name, namespace: target.settings.namespace, labels: target.labels },
    spec: {
      type: 'ClusterIP',
      selector: target.selector,
      ports: [
        {
          name: 'http',
          port: target.settings.port,
          targetPort: target.targetPort,
          protocol: 'TCP',
        },
      ],
    },
  };
}
