// The code size limit, measured on what actually hits a limit: the code ConfigMap's data as
// JSON. Metacontroller's default apply strategy (dynamic-apply) keeps a copy of every child in
// a `last-applied-configuration` annotation, written by Go's JSON encoder, and all annotations
// of an object share 256 KiB; with server-side apply only the ConfigMap's own 1 MiB is left.

/** dynamic-apply: the data's JSON plus the object's metadata must stay under 262144 bytes. */
export const DEFAULT_MAX_CODE_BYTES = 250_000;
/** server-side apply: a ConfigMap holds at most 1 MiB; keep room for keys and metadata. */
export const SERVER_SIDE_APPLY_MAX_CODE_BYTES = 1_000_000;

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

export function codeTooLargeMessage(bytes: number, limit: number): string {
  const over =
    `the code ConfigMap would hold ${bytes} bytes of JSON (spec.code, spec.files, ` +
    `spec.requirements and the runtime), over this installation's limit of ${limit} bytes ` +
    `(PYLAMBDA_MAX_CODE_BYTES on the webhook). `;
  if (limit >= SERVER_SIDE_APPLY_MAX_CODE_BYTES) {
    return `${over}A ConfigMap holds at most 1 MiB: move large data out of the code (an image, a volume, object storage).`;
  }
  return (
    over +
    `Metacontroller's default dynamic-apply strategy ` +
    `stores each child in an annotation limited to 256 KiB; to serve more code, run Metacontroller ` +
    `with --apply-strategy=server-side-apply and raise PYLAMBDA_MAX_CODE_BYTES up to ` +
    `${SERVER_SIDE_APPLY_MAX_CODE_BYTES} (a ConfigMap holds at most 1 MiB).`
  );
}
