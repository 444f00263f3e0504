// Makes the CA and the serving certificate: ECDSA P-256 keys from Node's WebCrypto, signed with
// @peculiar/x509 (Node can read X.509 but not write it).
// tsyringe, which @peculiar/x509 uses inside, needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import type { ServingNames } from './certificate-names.js';
import { LIFETIMES } from './renewal-plan.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Issued an hour in the past, so that a client or node whose clock lags accepts it at once. */
const BACKDATE_MS = 60 * 60 * 1000;

export interface IssuedPair {
  certificatePem: string;
  keyPem: string;
}

/** A positive 128-bit serial number (RFC 5280 asks for at most 20 octets, unique per CA). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** PEM text ending in a newline, as PEM files conventionally do (the library leaves it off). */
function pemFile(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return pemFile(x509.PemConverter.encode(der, 'PRIVATE KEY'));
}

function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + days * DAY_MS),
  };
}

export async function issueCA(commonName: string, now: Date): Promise<IssuedPair> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: new x509.Name([{ CN: [commonName] }]),
    ...validity(now, LIFETIMES.caDays),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      // pathLength 0: it signs serving certificates only, never another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificatePem: pemFile(certificate.toString('pem')),
    keyPem: await exportKey(keys.privateKey),
  };
}

export async function issueServing(
  ca: IssuedPair,
  names: ServingNames,
  now: Date,
): Promise<IssuedPair> {
  const caCertificate = new x509.X509Certificate(ca.certificatePem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    ALGORITHM,
    false,
    ['sign'],
  );
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: new x509.Name([{ CN: [names.dnsNames[0] ?? 'pylambda-webhook'] }]),
    issuer: caCertificate.subject,
    ...validity(now, LIFETIMES.servingDays),
    publicKey: keys.publicKey,
    signingKey: caKey as CryptoKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension([
        ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificatePem: pemFile(certificate.toString('pem')),
    keyPem: await exportKey(keys.privateKey),
  };
}
