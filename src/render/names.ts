// Kubernetes names derived from a parent's name: valid for their kind whatever the parent is
// called, and stable across syncs (a pure function of the name), so children are never renamed.
import { createHash } from 'node:crypto';

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const MAX_DNS_LABEL = 63;
export const MAX_DNS_SUBDOMAIN = 253;

export function isDns1035Label(name: string): boolean {
  return name.length <= MAX_DNS_LABEL && DNS1035_LABEL.test(name);
}

export function isDns1123Label(name: string): boolean {
  return name.length <= MAX_DNS_LABEL && DNS1123_LABEL.test(name);
}

export function isDns1123Subdomain(name: string): boolean {
  return name.length <= MAX_DNS_SUBDOMAIN && DNS1123_SUBDOMAIN.test(name);
}

export function isLabelValue(value: string): boolean {
  return value.length <= MAX_DNS_LABEL && LABEL_VALUE.test(value);
}

/** Eight hex characters of sha256: enough to keep truncated names of one namespace apart. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Lower-case, dots and other characters to '-', runs of '-' folded, no '-' at either end. */
function toLabelCharacters(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * `<base><suffix>` when that is a DNS-1035 label (Services need one); otherwise a readable
 * prefix of the base, a hash of the full base, and the suffix, within 63 characters and
 * starting with a letter (names such as `9lives` get an `l-` prefix).
 */
export function dns1035LabelName(base: string, suffix = ''): string {
  const plain = `${base}${suffix}`;
  if (isDns1035Label(plain)) return plain;
  let readable = toLabelCharacters(base);
  if (!/^[a-z]/.test(readable)) readable = `l-${readable}`;
  const tail = `-${shortHash(base)}${suffix}`;
  readable = readable.slice(0, MAX_DNS_LABEL - tail.length).replace(/-+$/, '');
  return `${readable}${tail}`;
}

/** `<base><suffix>` as a DNS-1123 subdomain (ConfigMaps, Deployments), shortened with a hash past 253. */
export function dns1123SubdomainName(base: string, suffix = ''): string {
  const plain = `${base}${suffix}`;
  if (isDns1123Subdomain(plain)) return plain;
  const tail = `-${shortHash(base)}${suffix}`;
  // Dots only between alphanumerics, and an alphanumeric first (any name the API server accepted
  // already is so: this only matters for names it would refuse).
  const readable = base
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/[-.]*\.[-.]*/g, '.')
    .replace(/^[-.]+/, '')
    .slice(0, MAX_DNS_SUBDOMAIN - tail.length)
    .replace(/[-.]+$/, '');
  return `${readable || 'x'}${tail}`;
}

/** A label value naming `name`: the name itself when it fits, else a prefix and a hash. */
export function labelValue(name: string): string {
  if (isLabelValue(name)) return name;
  const tail = `-${shortHash(name)}`;
  const readable = name
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX_DNS_LABEL - tail.length)
    .replace(/[^A-Za-z0-9]+$/, '');
  return `${readable || 'x'}${tail}`;
}
