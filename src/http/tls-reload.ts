// Serving a renewed certificate without a restart. The certificate job (config/certs) or
// cert-manager renews the Secret; the kubelet swaps the mounted files; this notices new bytes and
// hands them to the listening server, so new connections get the new certificate and the ones
// already open keep theirs. A pair that does not load (a half-written swap, a key of another
// certificate) is logged and skipped: the server keeps serving the pair it has.
import { readFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../telemetry/logger.js';

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
}

export function readPair(files: CertificateFiles): CertificatePair {
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}

/** The pair to switch to, if the files hold a new one that loads; undefined otherwise. */
export function changedPair(
  current: CertificatePair,
  next: CertificatePair,
): CertificatePair | undefined {
  if (current.cert.equals(next.cert) && current.key.equals(next.key)) return undefined;
  // Throws on a key that is not the certificate's, or on text that is neither.
  createSecureContext(next);
  return next;
}

/** Checks the files every `intervalMs` (never when 0); returns a function that stops it. */
export function reloadCertificates(
  server: HttpsServer,
  files: CertificateFiles,
  initial: CertificatePair,
  intervalMs: number,
  logger: Logger,
): () => void {
  if (intervalMs <= 0) return () => {};
  let current = initial;
  const timer = setInterval(() => {
    try {
      const next = changedPair(current, readPair(files));
      if (!next) return;
      server.setSecureContext(next);
      current = next;
      logger.info({ certFile: files.certFile }, 'serving a renewed TLS certificate');
    } catch (err) {
      logger.warn(
        { certFile: files.certFile, err: (err as Error).message },
        'the TLS certificate files do not load; still serving the previous certificate',
      );
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
