// What the renewal plan needs to know about a PEM certificate, read with Node's own X.509 parser:
// its validity, the names it covers and whether it is a CA. Anything that does not parse is
// reported as unusable rather than thrown, so that a corrupted Secret gets replaced, not crashed on.
import { X509Certificate, createPrivateKey } from 'node:crypto';

export interface CertificateFacts {
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  ipAddresses: string[];
  isCA: boolean;
  /** The parsed certificate, to check signatures and key pairs with. */
  certificate: X509Certificate;
}

/** The first certificate of a PEM text, or undefined when there is none that parses. */
export function certificateFacts(pem: string | undefined): CertificateFacts | undefined {
  if (!pem) return undefined;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    return undefined;
  }
  const names = subjectAltNames(certificate.subjectAltName);
  return {
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    dnsNames: names.dns,
    ipAddresses: names.ip,
    isCA: certificate.ca,
    certificate,
  };
}

/** Node renders the extension as `DNS:a, DNS:b, IP Address:10.0.0.1`. */
function subjectAltNames(text: string | undefined): { dns: string[]; ip: string[] } {
  const dns: string[] = [];
  const ip: string[] = [];
  for (const entry of (text ?? '').split(', ')) {
    if (entry.startsWith('DNS:')) dns.push(entry.slice(4));
    else if (entry.startsWith('IP Address:')) ip.push(entry.slice(11).toLowerCase());
  }
  return { dns, ip };
}

/** Whether `keyPem` is the private key of `facts`' certificate (false when it does not parse). */
export function keyMatches(facts: CertificateFacts, keyPem: string | undefined): boolean {
  if (!keyPem) return false;
  try {
    return facts.certificate.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** Whether `issuer` signed `facts`' certificate. */
export function issuedBy(facts: CertificateFacts, issuer: CertificateFacts): boolean {
  return (
    facts.certificate.checkIssued(issuer.certificate) &&
    facts.certificate.verify(issuer.certificate.publicKey)
  );
}
