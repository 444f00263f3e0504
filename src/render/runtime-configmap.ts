// The ConfigMap attached to an annotated Deployment: the runtime and a settings.json beside it.
// The Deployment mounts it (at /opt/pylambda/runtime) and runs the runtime, which reads the
// settings file, so the annotations stay the only place the user states handler and port.
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { DecoratedLambda } from '../lambda/deployment-annotations.js';
import { commonLabels, LABEL_COMPONENT } from './labels.js';
import { dns1123SubdomainName } from './names.js';
import { RUNTIME_FILE } from './pod-layout.js';
import { runtimeVariables } from './runtime-variables.js';

export const SETTINGS_FILE = 'settings.json';

export function runtimeConfigMapName(deploymentName: string): string {
  return dns1123SubdomainName(deploymentName, '-pylambda');
}

export function renderRuntimeConfigMap(lambda: DecoratedLambda, runtimeSource: string): ConfigMap {
  const { name, namespace } = lambda.settings;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: runtimeConfigMapName(name),
      namespace,
      labels: { ...commonLabels(name), [LABEL_COMPONENT]: 'runtime' },
    },
    data: {
      [RUNTIME_FILE]: runtimeSource,
      [SETTINGS_FILE]: `${JSON.stringify(runtimeVariables(lambda.settings, lambda.codeDir), null, 2)}\n`,
    },
  };
}
