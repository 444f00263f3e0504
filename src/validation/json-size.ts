// A bound on how many values a request holds, checked on its raw bytes before it is parsed.
// Parsed, a value costs far more than its bytes: `{}` is 3 bytes of JSON and well over 100 bytes
// of heap, so a body under the byte limit could still hold half a gigabyte once materialized.
// The scan allocates nothing and stops at the first value past the limit; it can run on a body
// chunk by chunk as it arrives.

/** What each byte means outside a string (0: nothing to count). */
const QUOTE = 1;
const OPENS = 2; // { or [
const SCALAR = 3; // starts (or continues) a number, true, false or null
const ENDS_SCALAR = 4; // whitespace and , : ] }

const CLASS_OF = new Uint8Array(256);
for (const c of '-0123456789tfn') CLASS_OF[c.charCodeAt(0)] = SCALAR;
for (const c of ' \t\n\r,:]}') CLASS_OF[c.charCodeAt(0)] = ENDS_SCALAR;
CLASS_OF['"'.charCodeAt(0)] = QUOTE;
CLASS_OF['{'.charCodeAt(0)] = OPENS;
CLASS_OF['['.charCodeAt(0)] = OPENS;

const QUOTE_BYTE = 0x22;
const BACKSLASH_BYTE = 0x5c;

/**
 * How many backslashes escape the byte at `at` of a string whose bytes start at `from`: the run
 * right before it, plus one if that run reaches `from` and the byte at `from` was `escaped` by the
 * chunk before. Odd means escaped.
 */
function escapes(raw: Buffer, at: number, from: number, escaped: boolean): number {
  let count = 0;
  while (at - 1 - count >= from && raw[at - 1 - count] === BACKSLASH_BYTE) count += 1;
  return escaped && at - count === from ? count + 1 : count;
}

/**
 * Counts the JSON values of one body across the chunks it arrives in (objects, arrays, strings
 * including keys, numbers, literals), up to `max + 1`: whether it holds more than `max` is all a
 * caller needs, so a body can be refused before the rest of it is read. Any split of the bytes
 * counts what the whole counts. Invalid JSON is counted as far as it goes; the parser refuses it
 * later.
 */
export class JsonValueCounter {
  private count = 0;
  private inScalar = false;
  private inString = false;
  /** Inside a string, the last chunk ended in an odd run of backslashes: its next byte is escaped. */
  private escapedNext = false;

  constructor(private readonly max: number) {}

  /** The values counted so far, `chunk` included. */
  push(chunk: Buffer): number {
    // Locals in the loop, the state written back once: this runs once per byte of a large body.
    const max = this.max;
    let count = this.count;
    let inScalar = this.inScalar;
    let i = 0;
    if (this.inString) {
      i = this.stringEnd(chunk, 0, this.escapedNext);
      if (i === chunk.length) return count;
      this.inString = false;
      i += 1;
    }
    for (; i < chunk.length; i += 1) {
      const kind = CLASS_OF[chunk[i]!]!;
      if (inScalar) {
        if (kind !== ENDS_SCALAR) continue;
        inScalar = false;
      }
      if (kind === QUOTE) {
        i = this.stringEnd(chunk, i + 1, false);
        if (i === chunk.length) this.inString = true;
      } else if (kind === SCALAR) inScalar = true;
      else if (kind !== OPENS) continue;
      count += 1;
      if (count > max) break;
    }
    this.count = count;
    this.inScalar = inScalar;
    return count;
  }

  /**
   * Where the string whose bytes start at `from` ends: its closing quote, found with indexOf
   * (memchr, not a loop in JS), or the end of the chunk, noting whether the next chunk's first
   * byte is escaped. `escaped` says whether the byte at `from` is.
   */
  private stringEnd(chunk: Buffer, from: number, escaped: boolean): number {
    let at = chunk.indexOf(QUOTE_BYTE, from);
    while (at >= 0) {
      if (escapes(chunk, at, from, escaped) % 2 === 0) return at;
      at = chunk.indexOf(QUOTE_BYTE, at + 1);
    }
    this.escapedNext = escapes(chunk, chunk.length, from, escaped) % 2 === 1;
    return chunk.length;
  }
}

/** How many values `raw` holds, counted up to `max + 1` (JsonValueCounter, in one chunk). */
export function countJsonValues(raw: Buffer, max: number): number {
  return new JsonValueCounter(max).push(raw);
}
