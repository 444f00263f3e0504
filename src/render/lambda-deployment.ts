// The Deployment that serves a PythonLambda: the stock python:<v>-slim image running the
// runtime from the ConfigMap, rolled (with no downtime) whenever the code or the template changes.
import { createHash } from 'node:crypto';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type {
  Container,
  EnvVar,
  PodTemplateSpec,
  ResourceRequirements,
  Volume,
  VolumeMount,
} from 'kubernetes-types/core/v1.js';
import type { ResourceList } from '../generated/pythonlambda-spec.js';
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';
import { codeConfigMapName, codeVolumeItems } from './code-configmap.js';
import { canonicalJson, sha256Hex } from './hash.js';
import {
  ANNOTATION_CODE_HASH,
  ANNOTATION_TEMPLATE_HASH,
  commonLabels,
  selectorLabels,
} from './labels.js';
import { dns1123SubdomainName } from './names.js';
import {
  CODE_DIR,
  DEPS_DIR,
  DRAIN_SECONDS,
  MOUNT_ROOT,
  REQUIREMENTS_PATH,
  RUNTIME_COMMAND,
} from './pod-layout.js';
import { containerSecurityContext, podSecurityContext } from './security.js';

export const LAMBDA_CONTAINER = 'lambda';
export const INSTALL_CONTAINER = 'install-requirements';

const DEFAULT_RESOURCES: ResourceRequirements = {
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { memory: '256Mi' },
};

export function deploymentName(lambdaName: string): string {
  return dns1123SubdomainName(lambdaName);
}

export function lambdaImage(spec: Pick<LambdaSpec, 'image' | 'runtime'>): string {
  return spec.image ?? `python:${spec.runtime}-slim`;
}

/** The runtime's JSON text, escaped once per process rather than on every sync. */
let runtimeJson: { source: string; json: string } | undefined;
/** One hash per spec: the Deployment's annotation and the status carry the same value. */
const codeHashes = new WeakMap<LambdaSpec, { runtimeSource: string; hash: string }>();

/**
 * Everything that changes what the pods execute. A change rolls the pods. The digest is
 * sha256 of canonicalJson({code, files, handler, image, requirements, runtime}) (keys in that,
 * sorted, order), fed to the hash piece by piece: the same value as hashing the whole text,
 * without re-escaping the 30 KB runtime or hashing the code twice per sync (bench/findings.md).
 */
export function codeHash(spec: LambdaSpec, runtimeSource: string): string {
  const known = codeHashes.get(spec);
  if (known?.runtimeSource === runtimeSource) return known.hash;
  if (runtimeJson?.source !== runtimeSource) {
    runtimeJson = { source: runtimeSource, json: JSON.stringify(runtimeSource) };
  }
  const hash = createHash('sha256')
    .update('{"code":')
    .update(JSON.stringify(spec.code))
    .update(',"files":')
    .update(canonicalJson(spec.files))
    .update(',"handler":')
    .update(JSON.stringify(spec.handler))
    .update(',"image":')
    .update(JSON.stringify(lambdaImage(spec)))
    .update(',"requirements":')
    .update(JSON.stringify(spec.requirements ?? ''))
    .update(',"runtime":')
    .update(runtimeJson.json)
    .update('}')
    .digest('hex');
  codeHashes.set(spec, { runtimeSource, hash });
  return hash;
}

/** Quantities as strings, the form the API server returns, so applies do not flap. */
function quantities(list: ResourceList | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(list ?? {}).map(([name, q]) => [name, String(q as number | string)]),
  );
}

function resources(spec: LambdaSpec): ResourceRequirements {
  return {
    requests: { ...DEFAULT_RESOURCES.requests, ...quantities(spec.resources?.requests) },
    limits: { ...DEFAULT_RESOURCES.limits, ...quantities(spec.resources?.limits) },
  };
}

function runtimeEnv(spec: LambdaSpec): EnvVar[] {
  const ours: EnvVar[] = [
    { name: 'PYLAMBDA_HANDLER', value: spec.handler },
    { name: 'PYLAMBDA_PORT', value: String(spec.port) },
    { name: 'PYLAMBDA_TIMEOUT_SECONDS', value: String(spec.timeoutSeconds) },
    { name: 'PYLAMBDA_CODE_DIR', value: CODE_DIR },
    { name: 'PYLAMBDA_FUNCTION_NAME', value: spec.name },
    { name: 'PYLAMBDA_NAMESPACE', value: spec.namespace },
    { name: 'PYLAMBDA_DRAIN_SECONDS', value: String(DRAIN_SECONDS) },
    { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
    { name: 'HOME', value: '/tmp' },
  ];
  if (spec.requirements) ours.push({ name: 'PYLAMBDA_DEPS_DIR', value: DEPS_DIR });
  // The user's variables come last so that they win where a name repeats.
  const own = new Set((spec.env ?? []).map((e) => e.name));
  return [...ours.filter((e) => !own.has(e.name)), ...((spec.env ?? []) as EnvVar[])];
}

function volumes(spec: LambdaSpec): { volumes: Volume[]; mounts: VolumeMount[] } {
  const list: Volume[] = [
    {
      name: 'code',
      configMap: { name: codeConfigMapName(spec.name), items: codeVolumeItems(spec) },
    },
    { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
  ];
  const mounts: VolumeMount[] = [
    { name: 'code', mountPath: MOUNT_ROOT, readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  if (spec.requirements) {
    list.push({ name: 'deps', emptyDir: {} });
    mounts.push({ name: 'deps', mountPath: DEPS_DIR, readOnly: true });
  }
  return { volumes: list, mounts };
}

function installContainer(spec: LambdaSpec, image: string): Container {
  return {
    name: INSTALL_CONTAINER,
    image,
    command: [
      'python',
      '-m',
      'pip',
      'install',
      '--no-cache-dir',
      '--disable-pip-version-check',
      '--no-warn-script-location',
      '--target',
      DEPS_DIR,
      '-r',
      REQUIREMENTS_PATH,
    ],
    env: [
      { name: 'HOME', value: '/tmp' },
      { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
    ],
    resources: resources(spec),
    securityContext: containerSecurityContext(),
    volumeMounts: [
      { name: 'code', mountPath: MOUNT_ROOT, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'deps', mountPath: DEPS_DIR },
    ],
  };
}

function lambdaContainer(spec: LambdaSpec, image: string, mounts: VolumeMount[]): Container {
  const port = { port: 'http' };
  return {
    name: LAMBDA_CONTAINER,
    image,
    command: RUNTIME_COMMAND,
    // Handlers that open data files by relative path find them next to their code.
    workingDir: CODE_DIR,
    ports: [{ name: 'http', containerPort: spec.port, protocol: 'TCP' }],
    env: runtimeEnv(spec),
    // Ready only once the handler imported; alive while the server answers at all, so an
    // import error shows as a pod that never turns ready (and a rollout that keeps the old pods).
    readinessProbe: {
      httpGet: { path: '/healthz', ...port },
      periodSeconds: 5,
      failureThreshold: 2,
    },
    livenessProbe: { tcpSocket: port, periodSeconds: 10, failureThreshold: 3 },
    resources: resources(spec),
    securityContext: containerSecurityContext(),
    volumeMounts: mounts,
  };
}

function podTemplate(spec: LambdaSpec, hash: string): PodTemplateSpec {
  const image = lambdaImage(spec);
  const { volumes: vols, mounts } = volumes(spec);
  return {
    metadata: {
      labels: commonLabels(spec.name),
      annotations: { [ANNOTATION_CODE_HASH]: hash },
    },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: podSecurityContext(),
      // In-flight calls may run for timeoutSeconds after the drain period.
      terminationGracePeriodSeconds: spec.timeoutSeconds + DRAIN_SECONDS + 5,
      ...(spec.requirements ? { initContainers: [installContainer(spec, image)] } : {}),
      containers: [lambdaContainer(spec, image, mounts)],
      volumes: vols,
    },
  };
}

/** The hash of the pod template we want now; Ready compares it with the observed Deployment's. */
export function templateHash(template: PodTemplateSpec): string {
  return sha256Hex(template).slice(0, 16);
}

export function renderLambdaDeployment(spec: LambdaSpec, runtimeSource: string): Deployment {
  const template = podTemplate(spec, codeHash(spec, runtimeSource));
  template.metadata!.annotations![ANNOTATION_TEMPLATE_HASH] = templateHash(template);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: deploymentName(spec.name),
      namespace: spec.namespace,
      labels: commonLabels(spec.name),
    },
    spec: {
      replicas: spec.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels(spec.name) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template,
    },
  };
}
