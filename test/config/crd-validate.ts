// Objects checked against the generated CRD by kube-apiserver's own validation code (the
// crd-validate command in e2e/tools/kubernetes, which `make crd-validate` and `make test` build):
// the CRD as the API server checks it on create, then each object's unknown fields, defaults,
// schema and CEL rules as on create. CRD_VALIDATE=/path/to/crd-validate overrides.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './kustomize.js';

export const CRD_FILE = join(
  REPO_ROOT,
  'config',
  'crd',
  'bases',
  'pylambda.dev_pythonlambdas.yaml',
);

function crdValidateBinary(): string {
  const binary =
    process.env.CRD_VALIDATE || join(REPO_ROOT, '.cache', 'tools', 'bin', 'crd-validate');
  if (!existsSync(binary)) {
    throw new Error(
      `crd-validate not found at ${binary}: run \`make crd-validate\` (or \`make test\`, which builds it)`,
    );
  }
  return binary;
}

/** For each object, the API server's errors on creating it ("path: message"); none when valid. */
export function apiServerErrors(objects: unknown[]): string[][] {
  const out = execFileSync(crdValidateBinary(), [CRD_FILE], {
    input: JSON.stringify(objects),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as string[][];
}
