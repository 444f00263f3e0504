// The code size limit, measured on what actually hits a limit, which depends on how
// Metacontroller applies children:
// - dynamic-apply (its default) keeps a copy of every child in a `last-applied-configuration`
//   annotation, written by Go's JSON encoder, and all annotations of an object share 256 KiB:
//   what counts is the code ConfigMap's data as JSON;
// - server-side-apply stores no such copy: what counts is the ConfigMap's own limit, 1 MiB of
//   keys and values.

export type ApplyStrategy = 'dynamic-apply' | 'server-side-apply';
export const APPLY_STRATEGIES: ApplyStrategy[] = ['dynamic-apply', 'server-side-apply'];

/** dynamic-apply: the data's JSON plus the object's metadata stay under 262144 bytes. */
export const DYNAMIC_APPLY_MAX_CODE_BYTES = 250_000;
/** server-side apply: 1 MiB (1048576) of keys and values, less room for the object's metadata. */
export const SERVER_SIDE_APPLY_MAX_CODE_BYTES = 1_040_000;

/** The webhook's default: Metacontroller's default strategy is dynamic-apply. */
export const DEFAULT_MAX_CODE_BYTES = DYNAMIC_APPLY_MAX_CODE_BYTES;

export function defaultMaxCodeBytes(strategy: ApplyStrategy): number {
  return strategy === 'server-side-apply'
    ? SERVER_SIDE_APPLY_MAX_CODE_BYTES
    : DYNAMIC_APPLY_MAX_CODE_BYTES;
}

/**
 * Bytes of `data` as Go's encoding/json writes it: UTF-8, with `<`, `>` and `&` escaped to six
 * characters each and U+2028/U+2029 to six bytes instead of three. Native string operations
 * only, so a 900 KiB lambda costs about a millisecond.
 */
export function storedDataBytes(data: Record<string, string>): number {
  const json = JSON.stringify(data);
  const htmlEscapes = json.match(/[<>&]/g)?.length ?? 0;
  const lineSeparators = json.match(/[\u2028\u2029]/g)?.length ?? 0;
  return Buffer.byteLength(json, 'utf8') + 5 * htmlEscapes + 3 * lineSeparators;
}

/** Bytes of keys and values, as the API server counts a ConfigMap against its 1 MiB. */
export function rawDataBytes(data: Record<string, string>): number {
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    total += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  return total;
}

export function configMapSize(data: Record<string, string>, strategy: ApplyStrategy): number {
  return strategy === 'server-side-apply' ? rawDataBytes(data) : storedDataBytes(data);
}

export function codeTooLargeMessage(bytes: number, limit: number, strategy: ApplyStrategy): string {
  const measure = strategy === 'server-side-apply' ? 'bytes' : 'bytes of JSON';
  const over =
    `the code ConfigMap would hold ${bytes} ${measure} (spec.code, spec.files and ` +
    `spec.requirements), over this installation's limit of ${limit} ` +
    `(PYLAMBDA_MAX_CODE_BYTES on the webhook, apply strategy ${strategy}). `;
  if (strategy === 'server-side-apply') {
    return `${over}A ConfigMap holds at most 1 MiB: move large data out of the code (an image, a volume, object storage).`;
  }
  return (
    over +
    `Metacontroller's default dynamic-apply strategy stores each child in an annotation limited ` +
    `to 256 KiB; to serve more code, run Metacontroller with --apply-strategy=server-side-apply ` +
    `and set PYLAMBDA_APPLY_STRATEGY=server-side-apply on the webhook (limit ` +
    `${SERVER_SIDE_APPLY_MAX_CODE_BYTES} bytes; a ConfigMap holds at most 1 MiB).`
  );
}
