// Pure: a rendered lambda -> the pod it describes, laid out under a local root directory the way
// a kubelet would lay it out: each ConfigMap volume's items at its mount path (so the code and
// requirements.txt land exactly where the pod has them), emptyDirs as directories, the runtime
// package (this checkout's, which the runtime image holds) where the runtime init container
// copies it, and the container's environment with every path under a mount moved into the root.
import { posix } from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type {
  ConfigMap,
  Container,
  EnvVar,
  PodSpec,
  Volume,
  VolumeMount,
} from 'kubernetes-types/core/v1.js';
import { CODE_DIR_ANNOTATION } from '../lambda/deployment-annotations.js';
import { INSTALL_CONTAINER, LAMBDA_CONTAINER } from '../render/lambda-deployment.js';
import { RUNTIME_PACKAGE, SETTINGS_DIR } from '../render/pod-layout.js';
import { SETTINGS_FILE } from '../render/settings-configmap.js';
import { CliError } from './exit-codes.js';
import { lambdaLabel } from './lambdas.js';
import type { RenderedLambda } from './render-lambda.js';

export interface LocalFile {
  /** Absolute, under the root. */
  path: string;
  content: string | Buffer;
}

export interface LocalCommand {
  /** Arguments after the Python executable. */
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export interface LocalPod {
  root: string;
  files: LocalFile[];
  directories: string[];
  /** The container's command after the Python executable (`-u -P -m pylambda_runtime`). */
  args: string[];
  /** The lambda container's environment (before the CLI sets host, port and drain). */
  env: Record<string, string>;
  cwd: string;
  /** pip install of the requirements, as the PythonLambda's init container runs it. */
  install: LocalCommand | undefined;
  timeoutSeconds: number;
  warnings: string[];
}

interface Layout {
  files: LocalFile[];
  directories: string[];
}

function objectOfKind<T>(rendered: RenderedLambda, kind: string): T {
  const object = rendered.objects.find((o) => o.kind === kind);
  if (!object) throw new Error(`the hook rendered no ${kind} for ${lambdaLabel(rendered.source)}`);
  return object as T;
}

function mountDir(mount: VolumeMount): string {
  return posix.normalize(mount.mountPath).replace(/\/+$/, '') || '/';
}

/** The mount that holds `path` (absolute, normalized): the deepest one above it. */
function mountHolding(mounts: VolumeMount[], path: string): VolumeMount | undefined {
  let best: VolumeMount | undefined;
  for (const mount of mounts) {
    const dir = mountDir(mount);
    const inside = path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
    if (inside && (!best || dir.length > mountDir(best).length)) best = mount;
  }
  return best;
}

/** A path in the container -> the same path under the root, when a volume is mounted there. */
export function localPath(root: string, mounts: VolumeMount[], path: string): string | undefined {
  if (!path.startsWith('/')) return undefined;
  const normal = posix.normalize(path);
  return mountHolding(mounts, normal) ? posix.join(root, normal) : undefined;
}

/** Files a ConfigMap volume projects: relative path -> key and content. */
function projectedFiles(
  configMap: ConfigMap,
  volume: Volume,
  where: string,
): { path: string; key: string; content: string | Buffer }[] {
  const data = configMap.data ?? {};
  const binary = configMap.binaryData ?? {};
  const contentOf = (key: string): string | Buffer | undefined =>
    key in data
      ? String(data[key])
      : key in binary
        ? Buffer.from(String(binary[key]), 'base64')
        : undefined;
  const items =
    volume.configMap?.items ??
    [...Object.keys(data), ...Object.keys(binary)].map((key) => ({ key, path: key }));
  const files = [];
  for (const item of items) {
    const content = contentOf(item.key);
    if (content === undefined) {
      if (volume.configMap?.optional) continue;
      throw new CliError(
        `${where}: ConfigMap ${configMap.metadata?.name} has no key ${JSON.stringify(item.key)}`,
      );
    }
    const path = posix.normalize(item.path);
    if (path.startsWith('/') || path === '..' || path.startsWith('../')) {
      throw new CliError(
        `${where}: item path ${JSON.stringify(item.path)} must be relative, without '..'`,
      );
    }
    files.push({ path, key: item.key, content });
  }
  return files;
}

function volumeType(volume: Volume): string {
  return Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
}

function layOut(
  root: string,
  container: Container,
  pod: PodSpec,
  configMaps: (name: string) => ConfigMap | undefined,
  where: string,
  warnings: string[],
): Layout {
  const layout: Layout = { files: [], directories: [] };
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
    const target = posix.join(root, posix.normalize(mount.mountPath));
    if (!volume)
      throw new CliError(`${where}: volumeMount ${mount.name} names no volume of the pod`);
    // An image volume is the runtime image: the runtime package is put there (see below).
    if (volume.emptyDir || 'image' in volume) {
      layout.directories.push(target);
      continue;
    }
    if (!volume.configMap) {
      warnings.push(
        `volume ${volume.name} (${volumeType(volume)}) at ${mount.mountPath} is not available locally; skipped`,
      );
      continue;
    }
    const name = volume.configMap.name ?? '';
    const configMap = configMaps(name);
    if (!configMap) {
      if (!volume.configMap.optional) {
        warnings.push(
          `ConfigMap ${name} (mounted at ${mount.mountPath}) is not in the file; skipped`,
        );
      }
      continue;
    }
    // With a subPath the mount may be a single file; its parent directory is made when written.
    if (!mount.subPath) layout.directories.push(target);
    for (const file of projectedFiles(configMap, volume, where)) {
      let relative = file.path;
      if (mount.subPath) {
        const sub = posix.normalize(mount.subPath);
        if (relative !== sub && !relative.startsWith(`${sub}/`)) continue;
        relative = relative.slice(sub.length).replace(/^\//, '');
      }
      const path = relative ? posix.join(target, relative) : target;
      layout.files.push({ path, content: file.content });
    }
  }
  return layout;
}

function environment(
  root: string,
  mounts: VolumeMount[],
  env: EnvVar[],
  warnings: string[],
  base: Record<string, string> = {},
): Record<string, string> {
  const out = { ...base };
  for (const variable of env) {
    if (variable.valueFrom) {
      warnings.push(`env ${variable.name} comes from valueFrom, which needs a cluster; skipped`);
      continue;
    }
    out[variable.name] = String(variable.value ?? '');
  }
  for (const [name, value] of Object.entries(out))
    out[name] = localPath(root, mounts, value) ?? value;
  return out;
}

/** Does this container run the runtime package (`python ... -m pylambda_runtime`)? */
export function runsRuntime(container: Container): boolean {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  return argv.some((arg, i) => arg === RUNTIME_PACKAGE && argv[i - 1] === '-m');
}

/**
 * The runtime package, put where the container's PYTHONPATH finds it: the first entry, which
 * must be a mounted volume (the emptyDir the runtime init container fills, or an image volume).
 */
function runtimePackageFiles(
  root: string,
  container: Container,
  runtimePackage: Map<string, string>,
  where: string,
): { files: LocalFile[]; args: string[] } {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  if (!runsRuntime(container)) {
    throw new CliError(
      `${where}: container ${container.name} does not run python -m ${RUNTIME_PACKAGE}; invoke runs what the pod runs`,
    );
  }
  const first = (container.env ?? []).find((e) => e.name === 'PYTHONPATH')?.value?.split(':')[0];
  const dir = first && localPath(root, container.volumeMounts ?? [], first);
  if (!dir) {
    throw new CliError(
      `${where}: container ${container.name} runs ${RUNTIME_PACKAGE} but its PYTHONPATH does not start with a mounted directory holding it (the runtime volume)`,
    );
  }
  const files = [...runtimePackage].map(([path, content]) => ({
    path: posix.join(dir, path),
    content,
  }));
  return { files, args: argv.slice(1) };
}

function pythonLambdaPod(
  rendered: Extract<RenderedLambda, { kind: 'PythonLambda' }>,
  root: string,
  runtimePackage: Map<string, string>,
  where: string,
): LocalPod {
  const warnings: string[] = [];
  const deployment = objectOfKind<Deployment>(rendered, 'Deployment');
  const configMap = objectOfKind<ConfigMap>(rendered, 'ConfigMap');
  const pod = deployment.spec!.template.spec!;
  const container = pod.containers.find((c) => c.name === LAMBDA_CONTAINER)!;
  const lookup = (name: string) => (name === configMap.metadata?.name ? configMap : undefined);
  const layout = layOut(root, container, pod, lookup, where, warnings);
  const mounts = container.volumeMounts ?? [];
  const runtime = runtimePackageFiles(root, container, runtimePackage, where);
  const init = pod.initContainers?.find((c) => c.name === INSTALL_CONTAINER);
  let install: LocalCommand | undefined;
  if (init) {
    const initMounts = init.volumeMounts ?? [];
    for (const mount of initMounts) {
      const target = posix.join(root, posix.normalize(mount.mountPath));
      if (!layout.directories.includes(target)) layout.directories.push(target);
    }
    // `python -m pip install ...`: the local Python runs the same arguments.
    const args = (init.command ?? [])
      .slice(1)
      .map((arg) => localPath(root, initMounts, arg) ?? arg);
    install = { args, env: environment(root, initMounts, init.env ?? [], warnings), cwd: root };
  }
  return {
    root,
    files: [...layout.files, ...runtime.files],
    directories: layout.directories,
    args: runtime.args,
    env: environment(root, mounts, container.env ?? [], warnings),
    cwd: localPath(root, mounts, container.workingDir ?? '') ?? root,
    install,
    timeoutSeconds: rendered.spec.timeoutSeconds,
    warnings,
  };
}

/** The container that runs the runtime package. */
function decoratedContainer(pod: PodSpec): Container | undefined {
  return pod.containers.find(runsRuntime);
}

function decoratedPod(
  rendered: Extract<RenderedLambda, { kind: 'Deployment' }>,
  fileConfigMaps: Map<string, ConfigMap>,
  root: string,
  runtimePackage: Map<string, string>,
  where: string,
): LocalPod {
  const warnings: string[] = [];
  const { namespace, name } = rendered.source;
  const settingsConfigMap = objectOfKind<ConfigMap>(rendered, 'ConfigMap');
  const settingsName = settingsConfigMap.metadata!.name!;
  const pod = (rendered.source.object as unknown as Deployment).spec?.template?.spec;
  const container = pod && decoratedContainer(pod);
  if (!pod || !container) {
    throw new CliError(
      `${where}: no container of Deployment ${name} runs python -u -P -m ${RUNTIME_PACKAGE}; ` +
        `get the runtime from the runtime image and mount ConfigMap ${settingsName} at ${SETTINGS_DIR} (see config/samples/annotated-deployment-greeter.yaml)`,
    );
  }
  const mounts = container.volumeMounts ?? [];
  const { codeDir } = rendered.lambda;
  const codeMount = mountHolding(mounts, posix.normalize(codeDir));
  const codeVolume = codeMount && (pod.volumes ?? []).find((v) => v.name === codeMount.name);
  const codeSource = `the code directory ${codeDir} (${CODE_DIR_ANNOTATION})`;
  if (!codeMount || !codeVolume) {
    throw new CliError(
      `${where}: container ${container.name} of Deployment ${name} mounts nothing at ${codeSource}; invoke needs the code in a ConfigMap of the file mounted there`,
    );
  }
  const codeConfigMap = codeVolume.configMap?.name;
  if (codeConfigMap === undefined) {
    throw new CliError(
      `${where}: ${codeSource} comes from a ${volumeType(codeVolume)} volume; invoke needs it from a ConfigMap in the file`,
    );
  }
  if (codeConfigMap !== settingsName && !fileConfigMaps.has(`${namespace}/${codeConfigMap}`)) {
    throw new CliError(
      `${where}: ${codeSource} is mounted from ConfigMap ${codeConfigMap}, which is not in the file (namespace ${namespace})`,
    );
  }
  const lookup = (cm: string) =>
    cm === settingsName ? settingsConfigMap : fileConfigMaps.get(`${namespace}/${cm}`);
  const layout = layOut(root, container, pod, lookup, where, warnings);
  const runtime = runtimePackageFiles(root, container, runtimePackage, where);
  // The one that copies the runtime is what runtimePackageFiles stands in for.
  for (const init of pod.initContainers ?? [])
    if (!(init.command ?? []).some((arg) => arg.includes(RUNTIME_PACKAGE)))
      warnings.push(`init container ${init.name} is not run locally`);
  if ((container.envFrom ?? []).length > 0)
    warnings.push(`envFrom of container ${container.name} needs a cluster; skipped`);
  // settings.json holds the annotations' PYLAMBDA_* values; the container's own variables win.
  const settings = JSON.parse(String(settingsConfigMap.data?.[SETTINGS_FILE] ?? '{}')) as Record<
    string,
    string
  >;
  return {
    root,
    files: [...layout.files, ...runtime.files],
    directories: layout.directories,
    args: runtime.args,
    env: environment(root, mounts, container.env ?? [], warnings, settings),
    cwd: localPath(root, mounts, container.workingDir ?? '') ?? root,
    install: undefined,
    timeoutSeconds: rendered.lambda.settings.timeoutSeconds,
    warnings,
  };
}

/** `runtimePackage`: the runtime package's files, by path relative to its parent directory. */
export function localPod(
  rendered: RenderedLambda,
  fileConfigMaps: Map<string, ConfigMap>,
  root: string,
  file: string,
  runtimePackage: Map<string, string>,
): LocalPod {
  const where = `${file}:${rendered.source.line}: ${lambdaLabel(rendered.source)}`;
  return rendered.kind === 'PythonLambda'
    ? pythonLambdaPod(rendered, root, runtimePackage, where)
    : decoratedPod(rendered, fileConfigMaps, root, runtimePackage, where);
}
