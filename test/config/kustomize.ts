// Render kustomizations the way `kubectl apply -k` does, with the kustomize that `make kustomize`
// pins (mk/deploy.mk; `make test` builds it on a fresh clone). KUSTOMIZE=/path/to/kustomize overrides.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/metacontroller/objects.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Any object as the API server and Metacontroller hand it over (src/metacontroller/objects.ts). */
export type RenderedObject = KubeObject;

export function kustomizeBinary(): string {
  const binary = process.env.KUSTOMIZE || join(REPO_ROOT, '.cache', 'tools', 'bin', 'kustomize');
  if (!existsSync(binary)) {
    throw new Error(
      `kustomize not found at ${binary}: run \`make kustomize\` (or \`make test\`, which builds it), ` +
        'or set KUSTOMIZE to a kustomize v5 binary',
    );
  }
  return binary;
}

/** `kustomize build DIR` (DIR relative to the repository, or absolute), parsed into objects. */
export function kustomizeBuild(dir: string): RenderedObject[] {
  const out = execFileSync(kustomizeBinary(), ['build', resolve(REPO_ROOT, dir)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseYamlStream(out);
}

/**
 * `kustomize build` of a throwaway overlay of `resources` with `components`, in that order (dirs
 * relative to the repository), as a user's kustomization.yaml would list them.
 */
export function kustomizeBuildOverlay(resources: string[], components: string[]): RenderedObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'pylambda-overlay-'));
  try {
    const up = (path: string) => relative(dir, join(REPO_ROOT, path));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      JSON.stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: resources.map(up),
        components: components.map(up),
      }),
    );
    return kustomizeBuild(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseYamlStream(text: string): RenderedObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`invalid YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as RenderedObject | null;
    })
    .filter((object): object is RenderedObject => object !== null);
}

export function find(objects: RenderedObject[], kind: string, name: string): RenderedObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  }
  return found[0]!;
}

/** Settings of mk/deploy.mk a developer may have exported, and those of a calling make. */
const MAKE_ENVIRONMENT = [
  'MAKEFLAGS',
  'MFLAGS',
  'MAKELEVEL',
  'IMG',
  'BUILD_IMAGE',
  'KIND_CLUSTER',
  'KUBE_CONTEXT',
  'DEPLOY_DIR',
  'DOCKER',
  'KIND',
  'KUBECTL',
];

/** `make TARGET VAR=VALUE...` at the repository root; its output (stdout and stderr) and status. */
export function make(args: string[]): { status: number; output: string } {
  const env = { ...process.env };
  for (const name of MAKE_ENVIRONMENT) delete env[name];
  try {
    const output = execFileSync('make', ['--no-print-directory', ...args], {
      cwd: REPO_ROOT,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: 0, output };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { status: e.status ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}
