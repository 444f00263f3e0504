// The ConfigMap attached to an annotated Deployment: a settings.json of the PYLAMBDA_* variables
// its annotations say. The Deployment mounts it at /opt/pylambda/settings, where the runtime
// looks for it, so the annotations stay the only place the user states handler and port. The
// runtime itself comes from the runtime image, as for a PythonLambda (README: annotated Deployment).
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { DecoratedLambda } from '../lambda/deployment-annotations.js';
import { commonLabels, LABEL_COMPONENT } from './labels.js';
import { dns1123SubdomainName } from './names.js';
import { runtimeVariables } from './runtime-variables.js';

export const SETTINGS_FILE = 'settings.json';

export function settingsConfigMapName(deploymentName: string): string {
  return dns1123SubdomainName(deploymentName, '-pylambda');
}

export function renderSettingsConfigMap(lambda: DecoratedLambda): ConfigMap {
  const { name, namespace } = lambda.settings;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: settingsConfigMapName(name),
      namespace,
      labels: { ...commonLabels(name), [LABEL_COMPONENT]: 'settings' },
    },
    data: {
      [SETTINGS_FILE]: `${JSON.stringify(runtimeVariables(lambda.settings, lambda.codeDir), null, 2)}\n`,
    },
  };
}
