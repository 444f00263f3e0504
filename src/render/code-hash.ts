// The code hash: the user's code and what it runs on (files, requirements, handler, image). It
// names the immutable code ConfigMap and annotates the pod template, so a change rolls the pods
// onto new files.
import { createHash } from 'node:crypto';
import type { LambdaSpec } from '../lambda/python-lambda-spec.js';

export function lambdaImage(spec: Pick<LambdaSpec, 'image' | 'runtime'>): string {
  return spec.image ?? `python:${spec.runtime}-slim`;
}

/**
 * Each field goes into the hash as its name, its length in bytes and its bytes, in a fixed order
 * (file paths sorted): unambiguous without a JSON encoding, which would copy and escape up to a
 * megabyte of code on every sync only to hash it. The runtime is not part of it: it comes from
 * the runtime image, named in the pod template, so a webhook release changes no code hash.
 */
export function codeHash(spec: LambdaSpec): string {
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
  return hash.digest('hex');
}
