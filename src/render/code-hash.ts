// The code hash: everything that changes what a lambda's pods execute. It names the immutable
// code ConfigMap and annotates the pod template, so a change rolls the pods onto new files.
import { createHash } from 'node:crypto';
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';

export function lambdaImage(spec: Pick<LambdaSpec, 'image' | 'runtime'>): string {
  return spec.image ?? `python:${spec.runtime}-slim`;
}

/**
 * `runtimeDigest` is the hash of pylambda_runtime.py, computed once per process. Each field
 * goes into the hash as its name, its length in bytes and its bytes, in a fixed order (file
 * paths sorted): unambiguous without a JSON encoding, which would copy and escape up to a
 * megabyte of code on every sync only to hash it.
 */
export function codeHash(spec: LambdaSpec, runtimeDigest: string): string {
  const hash = createHash('sha256');
  const field = (name: string, value: string) => {
    hash.update(`${name}\0${Buffer.byteLength(value)}\0`);
    hash.update(value);
  };
  field('code', spec.code);
  const files = spec.files ?? {};
  for (const path of Object.keys(files).sort()) field(`files/${path}`, files[path] ?? '');
  field('handler', spec.handler);
  field('image', lambdaImage(spec));
  field('requirements', spec.requirements ?? '');
  field('runtimeDigest', runtimeDigest);
  return hash.digest('hex');
}
