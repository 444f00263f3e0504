// The trust bundle when another issuer (cert-manager, or a person) owns the serving Secret.
import { certificateFacts } from './certificate-facts.js';
import { publishedBundle } from './controller-hooks.js';
import { type CertificateJobSettings, type JobContext, NotReady } from './job-context.js';
import { type KubeObject, secretText } from './job-secrets.js';

/** At most this many CAs are trusted at once in external mode: the current one and two before it. */
const MAX_EXTERNAL_CAS = 3;

/**
 * cert-manager (or another issuer) wrote the Secret: trust what it says is its CA, and, while they
 * are still valid, the CAs the hooks trusted before (the webhook may still serve a certificate of
 * the previous one until the kubelet updates its volume).
 */
export async function externalBundle(
  ctx: JobContext,
  settings: CertificateJobSettings,
  secret: KubeObject | undefined,
): Promise<string> {
  const ca = secretText(secret, 'ca.crt');
  if (!ca || !certificateFacts(ca)) {
    throw new NotReady(
      `secret ${settings.namespace}/${settings.servingSecret} has no ca.crt (yet), the CA the hooks must trust: ` +
        'with cert-manager, issue it from a CA issuer; a Secret made by hand needs ca.crt added, or delete it to have the job issue one',
    );
  }
  const current = pemCertificates(ca);
  const now = ctx.now().getTime();
  const before = pemCertificates(await publishedBundle(ctx, settings)).filter((pem) => {
    const facts = certificateFacts(pem);
    return facts !== undefined && facts.notAfter.getTime() > now && !current.includes(pem);
  });
  return `${[...current, ...before].slice(0, Math.max(current.length, MAX_EXTERNAL_CAS)).join('\n')}\n`;
}

function pemCertificates(text: string | undefined): string[] {
  return (text ?? '').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
