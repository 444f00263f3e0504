// Metacontroller's webhook ETag protocol: each 200 carries an ETag (a hash of the body), and a
// call whose If-None-Match names the body we would send again gets 304 with no body, which
// Metacontroller answers from its cache. Hooks are pure, so equal bodies mean equal answers.
import { createHash } from 'node:crypto';

export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** True when any entity tag listed in If-None-Match (or `*`) matches. Weak tags compare equal. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strong = etag.replace(/^W\//, '');
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === strong);
}
