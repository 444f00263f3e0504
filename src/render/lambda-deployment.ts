// The Deployment that serves a PythonLambda: the stock python:<v>-slim image running the
// runtime package (from the runtime image, see runtime-delivery.ts) on the code of its immutable
// code ConfigMap, rolled (with no downtime) whenever the code or the template changes.
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
import { canonicalQuantity } from '../lambda/quantity.js';
import { codeConfigMapName, codeVolumeItems } from './code-configmap.js';
import { lambdaImage } from './code-hash.js';
import { sha256Hex } from './hash.js';
import {
  ANNOTATION_CODE_HASH,
  ANNOTATION_RUNTIME_VERSION,
  ANNOTATION_TEMPLATE_HASH,
  commonLabels,
  selectorLabels,
} from './labels.js';
import { dns1123SubdomainName } from './names.js';
import {
  CODE_DIR,
  DEPS_DIR,
  LIVENESS_PATH,
  MOUNT_ROOT,
  READINESS_PATH,
  REQUIREMENTS_PATH,
  RUNTIME_COMMAND,
  RUNTIME_DIR,
} from './pod-layout.js';
import { runtimeDelivery } from './runtime-delivery.js';
import type { RuntimeRelease } from './runtime-release.js';
import { runtimeVariables } from './runtime-variables.js';
import { containerSecurityContext, podSecurityContext } from './security.js';
import { terminationGracePeriodSeconds } from './termination-grace.js';
import { topologySpreadConstraints } from './topology-spread.js';

export const LAMBDA_CONTAINER = 'lambda';
export const INSTALL_CONTAINER = 'install-requirements';

/** Small defaults, each used only for a resource the user says nothing about. */
const DEFAULT_RESOURCES: Record<string, { request?: string; limit?: string }> = {
  cpu: { request: '50m' },
  memory: { request: '64Mi', limit: '256Mi' },
};

export function deploymentName(lambdaName: string): string {
  return dns1123SubdomainName(lambdaName);
}

/** Quantities in the canonical form the API server returns, so applies do not flap. */
function quantities(list: ResourceList | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(list ?? {}).map(([name, q]) => {
      const written = q as number | string;
      return [name, canonicalQuantity(written) ?? String(written)];
    }),
  );
}

/**
 * The user's requests and limits as given; defaults only for a resource they left out entirely,
 * so a default can never sit above a user's limit or below a user's request.
 */
function resources(spec: LambdaSpec): ResourceRequirements {
  const requests = quantities(spec.resources?.requests);
  const limits = quantities(spec.resources?.limits);
  for (const [name, fallback] of Object.entries(DEFAULT_RESOURCES)) {
    if (name in requests || name in limits) continue;
    if (fallback.request) requests[name] = fallback.request;
    if (fallback.limit) limits[name] = fallback.limit;
  }
  return {
    ...(Object.keys(requests).length ? { requests } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
  };
}

/** An empty value is left out, as the API server stores it, so applies never flap on it. */
function userEnv(spec: LambdaSpec): EnvVar[] {
  return (spec.env ?? []).map((variable) =>
    variable.value === '' ? { name: variable.name } : (variable as EnvVar),
  );
}

/** Python finds the runtime package first, then whatever the user's PYTHONPATH names. */
function pythonPath(spec: LambdaSpec): string {
  const user = (spec.env ?? []).find((e) => e.name === 'PYTHONPATH')?.value;
  return user ? `${RUNTIME_DIR}:${user}` : RUNTIME_DIR;
}

function runtimeEnv(spec: LambdaSpec): EnvVar[] {
  const ours: Record<string, string> = {
    ...runtimeVariables(spec, CODE_DIR),
    ...(spec.requirements ? { PYLAMBDA_DEPS_DIR: DEPS_DIR } : {}),
    PYTHONDONTWRITEBYTECODE: '1',
    HOME: '/tmp',
  };
  // The user's variables come last so that they win where a name repeats; PYTHONPATH is
  // always ours, with the user's value after the runtime's directory.
  const own = new Set((spec.env ?? []).map((e) => e.name));
  return [
    ...Object.entries(ours)
      .filter(([name]) => !own.has(name))
      .map(([name, value]) => ({ name, value })),
    { name: 'PYTHONPATH', value: pythonPath(spec) },
    ...userEnv(spec).filter((e) => e.name !== 'PYTHONPATH'),
  ];
}

function volumes(
  spec: LambdaSpec,
  hash: string,
  runtime: { volume: Volume; mount: VolumeMount },
): { volumes: Volume[]; mounts: VolumeMount[] } {
  const list: Volume[] = [
    {
      name: 'code',
      configMap: { name: codeConfigMapName(spec.name, hash), items: codeVolumeItems(spec) },
    },
    runtime.volume,
    { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
  ];
  const mounts: VolumeMount[] = [
    { name: 'code', mountPath: MOUNT_ROOT, readOnly: true },
    runtime.mount,
    { name: 'tmp', mountPath: '/tmp' },
  ];
  if (spec.requirements) {
    // pip stages a whole install in its temp dir: give it room of its own, not the small /tmp.
    list.push({ name: 'deps', emptyDir: {} }, { name: 'pip-tmp', emptyDir: {} });
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
    // pip's last lines become the container's termination message, so the lambda's status can
    // say which requirement failed and why (status/pod-problems.ts).
    terminationMessagePolicy: 'FallbackToLogsOnError',
    resources: resources(spec),
    securityContext: containerSecurityContext(),
    volumeMounts: [
      { name: 'code', mountPath: MOUNT_ROOT, readOnly: true },
      { name: 'pip-tmp', mountPath: '/tmp' },
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
    // Ready only once the handler imported, so an import error shows as a pod that never turns
    // ready (and a rollout that keeps the old pods). Alive unless the runtime says it is wedged
    // (timed-out calls that never return piling up), or does not answer in time: a handler that
    // holds the GIL stops every thread. A TCP probe would pass both, since the kernel accepts the
    // connection. Readiness fails before liveness, so traffic moves away before the restart.
    readinessProbe: {
      httpGet: { path: READINESS_PATH, ...port },
      periodSeconds: 5,
      failureThreshold: 2,
    },
    livenessProbe: {
      httpGet: { path: LIVENESS_PATH, ...port },
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    // A runtime that exits on error (bad settings, a port in use) leaves its last log lines.
    terminationMessagePolicy: 'FallbackToLogsOnError',
    resources: resources(spec),
    securityContext: containerSecurityContext(),
    volumeMounts: mounts,
  };
}

function podTemplate(spec: LambdaSpec, hash: string, release: RuntimeRelease): PodTemplateSpec {
  const image = lambdaImage(spec);
  const runtime = runtimeDelivery(release);
  const { volumes: vols, mounts } = volumes(spec, hash, runtime);
  const spread = topologySpreadConstraints(spec);
  const initContainers = [
    ...(runtime.initContainer ? [runtime.initContainer] : []),
    ...(spec.requirements ? [installContainer(spec, image)] : []),
  ];
  return {
    metadata: {
      labels: commonLabels(spec.name),
      annotations: {
        [ANNOTATION_CODE_HASH]: hash,
        [ANNOTATION_RUNTIME_VERSION]: release.version,
      },
    },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: podSecurityContext(),
      terminationGracePeriodSeconds: terminationGracePeriodSeconds(spec),
      ...(initContainers.length ? { initContainers } : {}),
      containers: [lambdaContainer(spec, image, mounts)],
      volumes: vols,
      ...(spread.length ? { topologySpreadConstraints: spread } : {}),
    },
  };
}

/** The hash of the pod template we want now; Ready compares it with the observed Deployment's. */
export function templateHash(template: PodTemplateSpec): string {
  return sha256Hex(template).slice(0, 16);
}

/**
 * `hash` is the lambda's code hash (render/code-hash.ts), computed once per sync; `runtime` the
 * runtime its pods get (hooks/runtime-choice.ts decides which).
 */
export function renderLambdaDeployment(
  spec: LambdaSpec,
  hash: string,
  runtime: RuntimeRelease,
): Deployment {
  const template = podTemplate(spec, hash, runtime);
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
      // Whoever set spec.replicas (the user, `kubectl scale`, an autoscaler through the scale
      // subresource), the Deployment follows it; nothing else writes the Deployment's count.
      replicas: spec.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selectorLabels(spec.name) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template,
    },
  };
}
