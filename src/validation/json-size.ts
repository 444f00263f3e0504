// A bound on how many values a request holds, checked on its raw bytes before it is parsed.
// Parsed, a value costs far more than its bytes: `{}` is 3 bytes of JSON and well over 100 bytes
// of heap, so a body under the byte limit could still hold half a gigabyte once materialized.
// The scan allocates nothing and stops at the first value past the limit.

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

/** Where the string opened at `open` ends (or the end of `raw`): memchr, not a loop in JS. */
function closingQuote(raw: Buffer, open: number): number {
  let at = open;
  for (;;) {
    at = raw.indexOf(QUOTE_BYTE, at + 1);
    if (at < 0) return raw.length;
    let backslashes = 0;
    while (raw[at - 1 - backslashes] === BACKSLASH_BYTE) backslashes += 1;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * How many JSON values `raw` holds (objects, arrays, strings including keys, numbers, literals),
 * counted up to `max + 1`: whether it holds more than `max` is all a caller needs. Invalid JSON
 * is counted as far as it goes; the parser refuses it later.
 */
export function countJsonValues(raw: Buffer, max: number): number {
  let count = 0;
  let inScalar = false;
  for (let i = 0; i < raw.length; i += 1) {
    const kind = CLASS_OF[raw[i]!]!;
    if (inScalar) {
      if (kind !== ENDS_SCALAR) continue;
      inScalar = false;
    }
    if (kind === QUOTE) i = closingQuote(raw, i);
    else if (kind === SCALAR) inScalar = true;
    else if (kind !== OPENS) continue;
    count += 1;
    if (count > max) return count;
  }
  return count;
}

/**
 * Whether `raw` holds more than `max` values. Every value starts at a byte of its own (a quote,
 * a bracket, a digit, a sign or a letter), so a body of no more than `max` bytes cannot: the
 * usual hook request (tens of KiB against a default bound of 200,000) is not scanned at all.
 */
export function holdsMoreValuesThan(raw: Buffer, max: number): boolean {
  return raw.length > max && countJsonValues(raw, max) > max;
}
