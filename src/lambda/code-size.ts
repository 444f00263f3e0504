// The code size limit. Metacontroller's default apply strategy keeps a copy of every child in a
// `last-applied-configuration` annotation, and all annotations of an object share 256 KiB, so a
// ConfigMap carrying much more than 200 KiB of code can never be created that way.
import type { LambdaSpec } from './python-lambda-spec.js';

/** Fits dynamic-apply's 256 KiB annotation budget with room for the runtime and JSON escaping. */
export const DEFAULT_MAX_CODE_BYTES = 192 * 1024;
/** With server-side apply only the ConfigMap's own 1 MiB limit is left; keep room for the runtime. */
export const SERVER_SIDE_APPLY_MAX_CODE_BYTES = 960 * 1024;

export function codeBytes(spec: Pick<LambdaSpec, 'code' | 'files' | 'requirements'>): number {
  let total = Buffer.byteLength(spec.code, 'utf8');
  for (const content of Object.values(spec.files)) total += Buffer.byteLength(content, 'utf8');
  if (spec.requirements) total += Buffer.byteLength(spec.requirements, 'utf8');
  return total;
}

export function codeTooLargeMessage(bytes: number, limit: number): string {
  return (
    `spec.code, spec.files and spec.requirements hold ${bytes} bytes, over this installation's limit ` +
    `of ${limit} bytes (PYLAMBDA_MAX_CODE_BYTES on the webhook). Metacontroller's default ` +
    `dynamic-apply strategy stores each child in an annotation limited to 256 KiB; to serve more ` +
    `code, run Metacontroller with --apply-strategy=server-side-apply and raise ` +
    `PYLAMBDA_MAX_CODE_BYTES up to ${SERVER_SIDE_APPLY_MAX_CODE_BYTES} (a ConfigMap holds at most 1 MiB).`
  );
}
