// When did a condition flip? Now: the hooks read the one injected clock, and only for a flip
// (or a new condition). A status fed back unchanged keeps its time, so a repeated request is
// answered the same; a flip caused now is dated now, never with an older time from the request.

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A transition-time thunk: the clock is read only if a condition really flips. */
export function transitionTimeFrom(now: () => Date): () => string {
  return () => rfc3339(now().getTime());
}
