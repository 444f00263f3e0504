// inflation ships no types: it returns the request itself for `identity`, or the request piped
// through the zlib stream its Content-Encoding (or `options.encoding`) names, and throws a 415
// error for any other.
declare module 'inflation' {
  import type { IncomingMessage } from 'node:http';
  import type { Readable } from 'node:stream';

  export default function inflate(
    stream: IncomingMessage,
    options?: { encoding?: string },
  ): Readable;
}
