// Answers the webhook already gave, kept in memory and reused for the same request bytes.
// Most of a large cluster's hook calls are Metacontroller resyncs of unchanged objects, and
// those repeat byte-identical request bodies (Go's encoding/json sorts map keys). The hooks are
// pure, so the answer to the same bytes is the same bytes: a repeat skips parsing, validation,
// rendering, JSON encoding and the ETag hash. Bounded by the bytes it holds, least recently
// used out first. Answers are kept as Buffers, whose size is exactly their bytes: V8 keeps a
// string with a single character past Latin-1 at two bytes per character, which a count of
// UTF-8 bytes would take for half of that.
import { createHash } from 'node:crypto';
import type { CallIdentity } from './call-identity.js';

export interface CachedAnswer {
  /** The answer's UTF-8 bytes, as sent. */
  body: Buffer;
  etag: string;
  /** Read from the request when it was first answered, so that a hit logs it unparsed. */
  identity: CallIdentity;
  /** The length of the request it answers (requestLengthHeld). */
  requestBytes: number;
}

/**
 * The cache key: the hook and the request bytes, hashed so a 1 MiB request costs 64 bytes.
 * sha256 because a collision would answer one object with another's children.
 */
export function responseCacheKey(hook: string, rawBody: Buffer): string {
  return createHash('sha256').update(hook).update('\0').update(rawBody).digest('hex');
}

const BEYOND_LATIN_1 = /[\u0100-\uffff]/;

/**
 * What an entry costs beyond its bytes: the Map entry, the answer and identity objects and the
 * Buffer's own object (measured: about 0.5 KB each with 100-700 byte answers).
 */
export const ENTRY_OVERHEAD_BYTES = 512;

/**
 * The answer's bytes in memory of their own. Buffer.from takes small buffers (under 4 KiB) out of
 * a shared 8 KiB pool, and a cached slice would keep its whole pool block alive: the cache would
 * hold about twice what it counts.
 */
export function standaloneBytes(text: string): Buffer {
  const size = Buffer.byteLength(text);
  const bytes = Buffer.allocUnsafeSlow(size);
  bytes.write(text);
  return bytes;
}

/** What V8 holds for a string's characters: one byte each, or two if any is past Latin-1. */
export function stringBytes(text: string): number {
  return BEYOND_LATIN_1.test(text) ? 2 * text.length : text.length;
}

function sizeOf(key: string, answer: CachedAnswer): number {
  const { namespace = '', name = '' } = answer.identity;
  return (
    ENTRY_OVERHEAD_BYTES +
    stringBytes(key) +
    stringBytes(answer.etag) +
    answer.body.length +
    stringBytes(namespace) +
    stringBytes(name)
  );
}

export class ResponseCache {
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  private readonly entries = new Map<string, CachedAnswer>();
  /** How many entries answer a request of each length. */
  private readonly requestLengths = new Map<number, number>();
  private heldBytes = 0;

  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Whether some entry answers a request of exactly this many bytes: a request of that length is
   * likely a resync this cache will answer, so its body is not worth counting as it arrives.
   */
  requestLengthHeld(requestBytes: number): boolean {
    return this.requestLengths.has(requestBytes);
  }

  get(key: string): CachedAnswer | undefined {
    const answer = this.entries.get(key);
    if (answer === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, answer);
    return answer;
  }

  set(key: string, answer: CachedAnswer): void {
    const size = sizeOf(key, answer);
    if (size > this.maxBytes) return; // would evict everything else and still not fit
    this.delete(key);
    this.entries.set(key, answer);
    this.heldBytes += size;
    this.requestLengths.set(
      answer.requestBytes,
      (this.requestLengths.get(answer.requestBytes) ?? 0) + 1,
    );
    for (const oldest of this.entries.keys()) {
      if (this.heldBytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  private delete(key: string): void {
    const answer = this.entries.get(key);
    if (answer === undefined) return;
    this.entries.delete(key);
    this.heldBytes -= sizeOf(key, answer);
    const sharing = (this.requestLengths.get(answer.requestBytes) ?? 1) - 1;
    if (sharing > 0) this.requestLengths.set(answer.requestBytes, sharing);
    else this.requestLengths.delete(answer.requestBytes);
  }
}
