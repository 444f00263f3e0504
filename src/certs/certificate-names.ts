// The names the webhook's serving certificate must cover. Metacontroller builds the hook URL as
// `https://<service>.<namespace>:<port>`, so that short form is the one that matters; the `.svc`
// forms serve other in-cluster clients, and the Service's cluster IPs serve a caller that dials
// the address itself (a Metacontroller outside the cluster network's DNS, as in `make e2e`).
import { isIP } from 'node:net';

export interface ServingNames {
  dnsNames: string[];
  ipAddresses: string[];
}

export function servingNames(
  service: string,
  namespace: string,
  clusterDomain: string,
  clusterIPs: readonly string[],
): ServingNames {
  const short = `${service}.${namespace}`;
  return {
    dnsNames: [short, `${short}.svc`, `${short}.svc.${clusterDomain}`],
    // A headless Service has clusterIP "None"; only addresses go into the certificate.
    ipAddresses: clusterIPs.filter((ip) => isIP(ip) !== 0).map((ip) => ip.toLowerCase()),
  };
}

/** Names in `wanted` that `covered` lacks (an IPv6 address compares in its canonical form). */
export function missingNames(wanted: ServingNames, covered: ServingNames): string[] {
  const dns = new Set(covered.dnsNames);
  const ips = new Set(covered.ipAddresses.map(canonicalIP));
  return [
    ...wanted.dnsNames.filter((name) => !dns.has(name)),
    ...wanted.ipAddresses.filter((ip) => !ips.has(canonicalIP(ip))),
  ];
}

function canonicalIP(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // new URL normalises an IPv6 literal (zero runs, case) the way Node prints it in a certificate.
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}
