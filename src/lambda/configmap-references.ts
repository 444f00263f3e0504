// Which ConfigMaps a pod template cannot start without: the ones it mounts (directly or in a
// projected volume) or reads variables from, unless marked optional. A pod whose required
// ConfigMap is missing stays in ContainerCreating (volumes) or CreateContainerConfigError (env).
import type { PodSpec } from 'kubernetes-types/core/v1.js';

export function requiredConfigMaps(pod: PodSpec | undefined): Set<string> {
  const names = new Set<string>();
  const need = (ref: { name?: string; optional?: boolean } | undefined) => {
    if (ref?.name && ref.optional !== true) names.add(ref.name);
  };
  for (const volume of pod?.volumes ?? []) {
    need(volume.configMap);
    for (const source of volume.projected?.sources ?? []) need(source.configMap);
  }
  for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
    for (const from of container.envFrom ?? []) need(from.configMapRef);
    for (const variable of container.env ?? []) need(variable.valueFrom?.configMapKeyRef);
  }
  return names;
}
