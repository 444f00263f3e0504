// Hook request bodies, in two steps so that a repeated request is never parsed: the middleware
// reads the raw bytes (decompressed, within the byte limit), and parseJsonBody turns them into
// a value only when the hook has to run (a response cache miss).
import bourne from '@hapi/bourne';
import inflate from 'inflation';
import { isUtf8 } from 'node:buffer';
import type { Readable, Transform } from 'node:stream';
import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import { countJsonValues } from '../validation/json-size.js';
import { bodyReadError, bodyReadTimeout } from './errors.js';
import { mayHoldMoreValuesThan, TooManyValuesError, valueBound } from './value-bound.js';

const BODY_READ = Symbol('pylambda.bodyRead');
const CONTINUED = Symbol('pylambda.continued');
/** RFC 8259 whitespace, then an object or array: a hook request is never a bare value. */
const STARTS_AS_OBJECT_OR_ARRAY = /^[ \t\n\r]*[[{]/;

/**
 * What readJsonBody left for the hook: the bytes, and whether their values were counted as they
 * arrived (then parseJsonBody need not count them); or why it stopped reading a body past
 * PYLAMBDA_MAX_JSON_VALUES. The hook looks the bytes up in the response cache before it parses.
 */
export type BodyRead = { raw: Buffer; counted: boolean } | { tooManyValues: TooManyValuesError };

type WithRawBody = Context & {
  [BODY_READ]?: BodyRead;
  [CONTINUED]?: boolean;
};

function expectsContinue(ctx: Context): boolean {
  return /^\s*100-continue\s*$/i.test(ctx.get('expect'));
}

/**
 * A call that asked `Expect: 100-continue` and was answered without being invited to send its
 * body (refused by a guard, or too large) is closed after the answer: its client may still send
 * the body, which this server would otherwise read and discard.
 */
export async function closeUninvitedBodies(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } finally {
    if (expectsContinue(ctx) && !(ctx as WithRawBody)[CONTINUED]) ctx.set('Connection', 'close');
  }
}

function isJsonRequest(ctx: Context): boolean {
  return ctx.is('application/json', '+json') !== false;
}

interface BodyStream {
  body: Readable;
  /**
   * Once the read is over, however it ended: the streams put between the request and the reader
   * are let go, and none of them can fail afterwards with no one listening (an 'error' event
   * without a listener would end the process).
   */
  release(): void;
}

const ignore = () => {};

/**
 * The body as it arrives, decompressed, through the value bound when there is one. A
 * decompressing stream or the bound is not told when the request under it is cut short (the
 * client closed or reset the connection mid-body): it would wait for the body deadline, holding
 * an in-flight slot for a client that is gone. So it is failed as soon as the request closes
 * before its end.
 */
/** The request's Content-Encoding, as a coding name is compared: without case (RFC 9110 §8.4.1). */
function contentEncodingOf(ctx: Context): string {
  return (ctx.get('content-encoding') || 'identity').trim().toLowerCase();
}

function bodyStream(ctx: Context, bound: Transform | undefined): BodyStream {
  // inflation's types say NodeJS.ReadableStream; what it returns is the request or a zlib stream.
  const inflated = inflate(ctx.req, { encoding: contentEncodingOf(ctx) }) as Readable;
  // pipe() passes no errors on: a corrupt gzip stream must fail the read, not stall it.
  if (bound && inflated !== ctx.req) inflated.once('error', (err) => bound.destroy(err));
  const body = bound ? inflated.pipe(bound) : inflated;
  const between = [inflated, bound].filter(
    (stream): stream is Readable => stream !== undefined && stream !== ctx.req,
  );
  const onClose = () => {
    if (!ctx.req.complete) {
      body.destroy(Object.assign(new Error('request aborted'), { type: 'request.aborted' }));
    }
  };
  if (body !== ctx.req) ctx.req.once('close', onClose);
  return {
    body,
    release() {
      ctx.req.off('close', onClose);
      ctx.req.unpipe();
      for (const stream of between) {
        stream.on('error', ignore);
        stream.destroy();
      }
    },
  };
}

/** readJsonBody's bounds (PYLAMBDA_BODY_LIMIT_BYTES, _BODY_READ_TIMEOUT_MS, _MAX_JSON_VALUES). */
export interface BodyReading {
  limitBytes: number;
  timeoutMs: number;
  maxValues: number;
  /**
   * Whether the response cache answers some request of this length: such a body is likely a
   * resync it answers again unparsed, so it is counted only on a miss (parseJsonBody), and a
   * cache hit of a large body costs no count.
   */
  likelyAnswered?: (requestBytes: number) => boolean;
}

/**
 * Reads a JSON request's body into memory (other types are left unread for the handler to
 * refuse). Oversized, truncated or badly encoded bodies are thrown as 4xx errors (errors.ts).
 * A body not through within `timeoutMs` is answered 408 and its connection closed: a client
 * that sends headers and then stalls would otherwise hold an in-flight slot until Node's
 * requestTimeout (five minutes), and enough of them refuse every real call with 429.
 * A body past PYLAMBDA_MAX_JSON_VALUES is not read further (the rest is dropped as it comes)
 * and left for the hook to answer 413 (tooManyValuesOf).
 */
export function readJsonBody({ limitBytes, timeoutMs, maxValues, likelyAnswered }: BodyReading) {
  return async function readJsonBodyMiddleware(ctx: Context, next: Next): Promise<void> {
    if (!isJsonRequest(ctx)) {
      await next();
      return;
    }
    const identity = contentEncodingOf(ctx) === 'identity';
    const length = ctx.get('content-length');
    // Invite the body only if it may fit: past the limit raw-body refuses it unread (413).
    if (expectsContinue(ctx) && !(identity && Number(length) > limitBytes)) {
      ctx.res.writeContinue();
      (ctx as WithRawBody)[CONTINUED] = true;
    }
    const declared = identity && length ? Number(length) : undefined;
    const countNow =
      mayHoldMoreValuesThan(declared, maxValues) &&
      !(declared !== undefined && likelyAnswered?.(declared));
    const bound = countNow ? valueBound(maxValues) : undefined;
    let stream: BodyStream | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Inside the try: inflation throws (415) for an encoding it does not know.
      stream = bodyStream(ctx, bound);
      const reading = getRawBody(stream.body, {
        limit: limitBytes,
        // A decompressed body is longer than Content-Length says; only an identity one must match.
        length: declared ?? null,
      });
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(bodyReadTimeout(timeoutMs)), timeoutMs);
      });
      const raw = await Promise.race([reading, deadline]);
      (ctx as WithRawBody)[BODY_READ] = { raw, counted: countNow };
    } catch (err) {
      if ((err as { status?: number }).status === 408) {
        // The rest of the body may never come: close the connection after the answer, and do
        // not wait for it. The abandoned read ends (and fails, unheard) when the socket closes.
        ctx.set('Connection', 'close');
        throw err;
      }
      // Drop the rest of a body we stopped reading, so that the next call on this keep-alive
      // connection does not start in the middle of it.
      ctx.req.unpipe();
      ctx.req.resume();
      if (!(err instanceof TooManyValuesError)) throw bodyReadError(err);
      (ctx as WithRawBody)[BODY_READ] = { tooManyValues: err };
    } finally {
      clearTimeout(timer);
      stream?.release();
    }
    await next();
  };
}

/** What readJsonBody read, or undefined when the request is not JSON (left for a 415). */
export function bodyReadOf(ctx: Context): BodyRead | undefined {
  return (ctx as WithRawBody)[BODY_READ];
}

export class InvalidJsonError extends Error {}

/** The offset of a body's first byte that is not UTF-8: where decoding stops round-tripping. */
function firstNonUtf8Byte(raw: Buffer): number {
  const decoded = Buffer.from(raw.toString('utf8'));
  let offset = 0;
  while (offset < raw.length && raw[offset] === decoded[offset]) offset += 1;
  return offset;
}

function hasByteOrderMark(raw: Buffer): boolean {
  return raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
}

/**
 * The body as a value. An empty body is an empty object (so validation names what is missing);
 * a bare value is refused, and so is any `__proto__` key (a key that would replace an object's
 * prototype if a later step ever copied it by assignment). Arrays are left to validation.
 * `maxValues` bounds its values, counted on the bytes before parsing; undefined when readJsonBody
 * counted them already as the body arrived (BodyRead's `counted`).
 */
export function parseJsonBody(raw: Buffer, maxValues: number | undefined): unknown {
  if (raw.length === 0) return {};
  // Once parsed, millions of tiny values are gone memory: counted before.
  const counted = maxValues === undefined || !mayHoldMoreValuesThan(raw.length, maxValues);
  if (!counted && countJsonValues(raw, maxValues) > maxValues) {
    throw new TooManyValuesError(maxValues);
  }
  // JSON text is UTF-8 (RFC 8259 §8.1), and Metacontroller's encoder writes nothing else.
  // Decoded anyway, each stray byte would become U+FFFD, three bytes in an answer that echoes
  // it (a child's annotations, the code): answers three times their requests, past the memory
  // the service is sized for.
  if (!isUtf8(raw)) {
    throw new InvalidJsonError(`not UTF-8 (RFC 8259 §8.1) from byte ${firstNonUtf8Byte(raw)}`);
  }
  // A UTF-8 byte order mark is allowed before JSON text (RFC 8259 §8.1) and means nothing.
  const text = raw.toString('utf8', hasByteOrderMark(raw) ? 3 : 0);
  if (!STARTS_AS_OBJECT_OR_ARRAY.test(text)) {
    throw new InvalidJsonError('a hook request is a JSON object, not a bare value');
  }
  try {
    return bourne.parse(text, { protoAction: 'error' }) as unknown;
  } catch (err) {
    throw new InvalidJsonError((err as Error).message);
  }
}
