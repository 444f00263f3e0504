// The ConfigMap of a PythonLambda: the user's code, extra files and requirements, nothing else
// (the runtime comes from the runtime image), and the volume items that lay them out under
// /opt/pylambda in the pod.
import type { ConfigMap, KeyToPath } from 'kubernetes-types/core/v1.js';
import { configMapKeyForFile } from '../lambda/file-paths.js';
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';
import { commonLabels, LABEL_COMPONENT } from './labels.js';
import { dns1123SubdomainName } from './names.js';
import { REQUIREMENTS_KEY } from './pod-layout.js';

/**
 * Named by content and immutable: a code change makes a new ConfigMap, so pods of the old
 * ReplicaSet keep their files until the rollout is done and new pods never start on old code.
 */
export function codeConfigMapName(lambdaName: string, codeHash: string): string {
  return dns1123SubdomainName(lambdaName, `-code-${codeHash.slice(0, 10)}`);
}

/** Code files as path under the code directory -> content, main.py first, the rest sorted. */
function codeFiles(spec: LambdaSpec): [string, string][] {
  const extra = Object.keys(spec.files)
    .sort()
    .map((path): [string, string] => [path, spec.files[path]!]);
  return [['main.py', spec.code], ...extra];
}

export function codeVolumeItems(spec: LambdaSpec): KeyToPath[] {
  const items: KeyToPath[] = [];
  for (const [path] of codeFiles(spec))
    items.push({ key: configMapKeyForFile(path), path: `code/${path}` });
  if (spec.requirements) items.push({ key: REQUIREMENTS_KEY, path: REQUIREMENTS_KEY });
  return items;
}

export function renderCodeConfigMap(spec: LambdaSpec, codeHash: string): ConfigMap {
  const data: Record<string, string> = {};
  for (const [path, content] of codeFiles(spec)) data[configMapKeyForFile(path)] = content;
  if (spec.requirements) data[REQUIREMENTS_KEY] = spec.requirements;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: codeConfigMapName(spec.name, codeHash),
      namespace: spec.namespace,
      labels: { ...commonLabels(spec.name), [LABEL_COMPONENT]: 'code' },
    },
    immutable: true,
    data,
  };
}
