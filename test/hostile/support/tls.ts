// A self-signed certificate for the webhook's Service name, localhost and 127.0.0.1, made by the
// openssl CLI for one test run.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** An EC P-256 key and a one-day certificate in `dir`; the certificate is its own CA. */
export function selfSignedCertificate(dir: string): TestCertificate {
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=pylambda-webhook.pylambda-system',
      '-addext',
      // What Metacontroller dials (<service>.<namespace>, see the component), and loopback.
      'subjectAltName=DNS:pylambda-webhook.pylambda-system,DNS:pylambda-webhook.pylambda-system.svc,DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { certFile, keyFile, cert: readFileSync(certFile) };
}
