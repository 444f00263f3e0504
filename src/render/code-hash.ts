// The code hash: everything that changes what a lambda's pods execute. It names the immutable
// code ConfigMap and annotates the pod template, so a change rolls the pods onto new files.
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';
import { sha256Hex } from './hash.js';

export function lambdaImage(spec: Pick<LambdaSpec, 'image' | 'runtime'>): string {
  return spec.image ?? `python:${spec.runtime}-slim`;
}

/** `runtimeDigest` is the hash of pylambda_runtime.py, computed once per process. */
export function codeHash(spec: LambdaSpec, runtimeDigest: string): string {
  return sha256Hex({
    code: spec.code,
    files: spec.files,
    handler: spec.handler,
    image: lambdaImage(spec),
    requirements: spec.requirements ?? '',
    runtimeDigest,
  });
}
