// Which documents of a file are lambdas: PythonLambda resources and Deployments annotated
// pylambda.dev/handler (the DecoratorController's selector). ConfigMaps are kept because an
// annotated Deployment's code lives in one; every other document is skipped.
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { HANDLER_ANNOTATION } from '../lambda/deployment-annotations.js';
import type { KubeObject } from '../metacontroller/objects.js';
import { CliError } from './exit-codes.js';
import type { Manifest, ManifestFile } from './manifests.js';

export const PYTHONLAMBDA_API_VERSION = 'pylambda.dev/v1alpha1';
export const DEFAULT_NAMESPACE = 'default';

export type LambdaKind = 'PythonLambda' | 'Deployment';

export interface LambdaDocument {
  kind: LambdaKind;
  name: string;
  namespace: string;
  /** The document with metadata.namespace filled in, as the API server would hold it. */
  object: KubeObject;
  line: number;
}

export interface FileContents {
  path: string;
  lambdas: LambdaDocument[];
  /** Keyed `namespace/name`. */
  configMaps: Map<string, ConfigMap>;
}

function metadataOf(object: Record<string, unknown>): Record<string, unknown> {
  const metadata = object.metadata;
  return typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
    ? (metadata as Record<string, unknown>)
    : {};
}

function lambdaKind(object: Record<string, unknown>): LambdaKind | undefined {
  if (object.kind === 'PythonLambda' && String(object.apiVersion).startsWith('pylambda.dev/')) {
    return 'PythonLambda';
  }
  if (object.kind === 'Deployment' && object.apiVersion === 'apps/v1') {
    const annotations = metadataOf(object).annotations;
    if (
      typeof annotations === 'object' &&
      annotations !== null &&
      HANDLER_ANNOTATION in annotations
    )
      return 'Deployment';
  }
  return undefined;
}

function describe(path: string, manifest: Manifest): string {
  const { kind, metadata } = manifest.object as { kind?: unknown; metadata?: { name?: unknown } };
  const name = typeof metadata?.name === 'string' ? ` ${metadata.name}` : '';
  return `${path}:${manifest.line}: ${typeof kind === 'string' ? kind : 'document'}${name}`;
}

function withNamespace(
  path: string,
  manifest: Manifest,
  fallbackNamespace: string,
): { object: KubeObject; name: string; namespace: string } {
  const metadata = metadataOf(manifest.object);
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') {
    throw new CliError(`${describe(path, manifest)}: metadata.name is required`);
  }
  const given = metadata.namespace;
  if (given !== undefined && (typeof given !== 'string' || given === '')) {
    throw new CliError(
      `${describe(path, manifest)}: metadata.namespace must be a non-empty string`,
    );
  }
  const namespace = given ?? fallbackNamespace;
  const object = { ...manifest.object, metadata: { ...metadata, name, namespace } } as KubeObject;
  return { object, name, namespace };
}

/** Pure: the lambdas and ConfigMaps of a parsed file. */
export function fileContents(file: ManifestFile, namespace = DEFAULT_NAMESPACE): FileContents {
  const lambdas: LambdaDocument[] = [];
  const configMaps = new Map<string, ConfigMap>();
  for (const manifest of file.manifests) {
    const kind = lambdaKind(manifest.object);
    if (kind === 'PythonLambda' && manifest.object.apiVersion !== PYTHONLAMBDA_API_VERSION) {
      throw new CliError(
        `${describe(file.path, manifest)}: apiVersion ${JSON.stringify(manifest.object.apiVersion)} is not served; use ${PYTHONLAMBDA_API_VERSION}`,
      );
    }
    if (kind) {
      lambdas.push({ kind, ...withNamespace(file.path, manifest, namespace), line: manifest.line });
    } else if (manifest.object.kind === 'ConfigMap' && manifest.object.apiVersion === 'v1') {
      const { object, name, namespace: ns } = withNamespace(file.path, manifest, namespace);
      configMaps.set(`${ns}/${name}`, object as ConfigMap);
    }
  }
  return { path: file.path, lambdas, configMaps };
}

export function lambdaLabel(lambda: Pick<LambdaDocument, 'kind' | 'namespace' | 'name'>): string {
  return `${lambda.kind} ${lambda.namespace}/${lambda.name}`;
}

const NO_LAMBDA =
  'expected a PythonLambda (apiVersion pylambda.dev/v1alpha1) or an apps/v1 Deployment annotated pylambda.dev/handler';

/** The lambdas to work on: all of them, or the one named; never none. */
export function selectLambdas(contents: FileContents, name?: string): LambdaDocument[] {
  if (contents.lambdas.length === 0) {
    throw new CliError(`${contents.path}: no lambda in the file (${NO_LAMBDA})`);
  }
  if (name === undefined) return contents.lambdas;
  const chosen = contents.lambdas.filter((l) => l.name === name);
  if (chosen.length === 0) {
    const names = contents.lambdas.map(lambdaLabel).join(', ');
    throw new CliError(`${contents.path}: no lambda named ${JSON.stringify(name)}; found ${names}`);
  }
  return chosen;
}

/** Exactly one lambda, for `invoke`. */
export function selectOneLambda(contents: FileContents, name?: string): LambdaDocument {
  const chosen = selectLambdas(contents, name);
  if (chosen.length > 1) {
    const names = chosen.map(lambdaLabel).join(', ');
    const hint =
      name === undefined ? 'pick one with --name' : 'they differ only by kind or namespace';
    throw new CliError(`${contents.path}: ${chosen.length} lambdas (${names}); ${hint}`);
  }
  return chosen[0]!;
}
