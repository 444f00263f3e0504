// A log line for an event an attacker can repeat at will (a connection at the bound) must not
// become a flood of its own: the first in each period is logged, the metrics count them all.

/** A gate that opens at most once every `periodMs`. */
export function onceEvery(periodMs: number, now: () => number = Date.now): () => boolean {
  let last = -Infinity;
  return () => {
    const at = now();
    if (at - last < periodMs) return false;
    last = at;
    return true;
  };
}
