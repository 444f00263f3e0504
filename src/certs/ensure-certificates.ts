// One run of the certificate job: read what the cluster holds, plan (renewal-plan.ts), write only
// what the plan asks for, and make every hook of pylambda's controllers trust the CA. Run it any
// number of times: a run that finds everything in order writes nothing.
//
// The CA goes into the hooks inline (`caBundle.inline`) rather than by reference, because
// Metacontroller v4.17.2 resolves a `configMapRef` or `secretRef` through its cached client, which
// lists and watches every ConfigMap (or Secret) of the cluster to answer one read; and because a
// change of the controller's spec is what makes Metacontroller load a new CA.
import { certificateFacts, type CertificateFacts } from './certificate-facts.js';
import { servingNames } from './certificate-names.js';
import { publishTrust } from './controller-hooks.js';
import { externalBundle } from './external-bundle.js';
import { ensureToken } from './hook-token.js';
import type { IssuedPair } from './issue-certificates.js';
import { type CertificateJobSettings, type JobContext, NotOurs, NotReady } from './job-context.js';
import { getSecret, type KubeObject, madeByJob, secretText, writeSecret } from './job-secrets.js';
import { planRenewal, trustBundle } from './renewal-plan.js';

export {
  NotOurs,
  NotReady,
  WriteConflict,
  type CertificateJobSettings,
  type CertificateSource,
  type ControllerRef,
  type Issuer,
  type JobContext,
} from './job-context.js';

async function clusterIPs(ctx: JobContext, settings: CertificateJobSettings): Promise<string[]> {
  const service = (await ctx.api.get(
    `/api/v1/namespaces/${settings.namespace}/services/${settings.service}`,
  )) as { spec?: { clusterIP?: string; clusterIPs?: string[] } } | undefined;
  if (!service)
    throw new NotReady(`service ${settings.namespace}/${settings.service} does not exist yet`);
  return service.spec?.clusterIPs ?? (service.spec?.clusterIP ? [service.spec.clusterIP] : []);
}

/** Issues what the plan asks for and returns the trust bundle for the hooks. */
async function issueWhereNeeded(
  ctx: JobContext,
  settings: CertificateJobSettings,
  servingSecret: KubeObject | undefined,
): Promise<string> {
  const now = ctx.now();
  const names = servingNames(
    settings.service,
    settings.namespace,
    settings.clusterDomain,
    await clusterIPs(ctx, settings),
  );
  const caSecret = await getSecret(ctx, settings.namespace, settings.caSecret);
  if (caSecret && !madeByJob(caSecret)) {
    throw new NotOurs(
      `secret ${settings.namespace}/${settings.caSecret} was not made by this job (or was changed since), ` +
        'which leaves it alone: delete it to have the job make its CA there',
    );
  }
  let ca: IssuedPair = {
    certificatePem: secretText(caSecret, 'tls.crt') ?? '',
    keyPem: secretText(caSecret, 'tls.key') ?? '',
  };
  const previousPem = secretText(caSecret, 'previous.crt');
  let previous = previousPem ? withFacts(previousPem) : undefined;
  const plan = planRenewal(
    {
      ca: { certificate: certificateFacts(ca.certificatePem), keyPem: ca.keyPem },
      serving: {
        certificate: certificateFacts(secretText(servingSecret, 'tls.crt')),
        keyPem: secretText(servingSecret, 'tls.key'),
      },
    },
    names,
    now,
  );
  for (const reason of plan.reasons) ctx.log(reason);
  if (plan.newCA) {
    // The CA being replaced stays trusted while it is valid: pods serve its certificate until
    // the kubelet updates their Secret volume.
    previous = withFacts(ca.certificatePem);
    ca = await ctx.issuer.issueCA(`${settings.service}-ca`, now);
    await writeSecret(ctx, settings.namespace, settings.caSecret, caSecret, 'kubernetes.io/tls', {
      'tls.crt': ca.certificatePem,
      'tls.key': ca.keyPem,
      ...(previous ? { 'previous.crt': previous.pem } : {}),
    });
  }
  const bundle = trustBundle(ca.certificatePem, previous, now);
  if (plan.newCA) await publishTrust(ctx, settings, bundle);
  const serving = plan.issueServing
    ? await ctx.issuer.issueServing(ca, names, now)
    : {
        certificatePem: secretText(servingSecret, 'tls.crt') ?? '',
        keyPem: secretText(servingSecret, 'tls.key') ?? '',
      };
  if (plan.issueServing || secretText(servingSecret, 'ca.crt') !== bundle) {
    await writeSecret(
      ctx,
      settings.namespace,
      settings.servingSecret,
      servingSecret,
      'kubernetes.io/tls',
      {
        'tls.crt': serving.certificatePem,
        'tls.key': serving.keyPem,
        'ca.crt': bundle,
      },
    );
  }
  return bundle;
}

function withFacts(pem: string): { pem: string; facts: CertificateFacts } | undefined {
  const facts = certificateFacts(pem);
  return facts ? { pem, facts } : undefined;
}

export async function ensureCertificates(
  ctx: JobContext,
  settings: CertificateJobSettings,
): Promise<void> {
  // The token first: Metacontroller reads it when a controller's spec changes, and publishing
  // the CA is such a change.
  if (settings.tokenSecret) await ensureToken(ctx, settings, settings.tokenSecret);
  const serving = await getSecret(ctx, settings.namespace, settings.servingSecret);
  // A serving Secret someone else made (cert-manager, or by hand as before this job existed) is
  // theirs: the job issues nothing over it and only has the hooks trust its ca.crt.
  const theirs = serving !== undefined && !madeByJob(serving);
  if (theirs && settings.source === 'issue') {
    ctx.log(
      'the serving secret was not made by this job: it stays as it is, and the hooks trust its ca.crt',
      {
        secret: `${settings.namespace}/${settings.servingSecret}`,
      },
    );
  }
  const bundle =
    settings.source === 'external' || theirs
      ? await externalBundle(ctx, settings, serving)
      : await issueWhereNeeded(ctx, settings, serving);
  await publishTrust(ctx, settings, bundle);
}
