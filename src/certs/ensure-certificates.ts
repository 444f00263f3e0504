// One run of the certificate job: read what the cluster holds, plan (renewal-plan.ts), write only
// what the plan asks for, and make every hook of pylambda's controllers trust the CA. Run it any
// number of times: a run that finds everything in order writes nothing.
//
// The CA goes into the hooks inline (`caBundle.inline`) rather than by reference, because
// Metacontroller v4.17.2 resolves a `configMapRef` or `secretRef` through its cached client, which
// lists and watches every ConfigMap (or Secret) of the cluster to answer one read; and because a
// change of the controller's spec is what makes Metacontroller load a new CA.
import { randomBytes } from 'node:crypto';
import { certificateFacts, type CertificateFacts } from './certificate-facts.js';
import { servingNames, type ServingNames } from './certificate-names.js';
import type { IssuedPair } from './issue-certificates.js';
import { ApiError, type KubeApi } from './kube-api.js';
import { planRenewal, trustBundle } from './renewal-plan.js';

export type CertificateSource = 'issue' | 'external';

export interface ControllerRef {
  resource: 'compositecontrollers' | 'decoratorcontrollers';
  name: string;
}

export interface CertificateJobSettings {
  namespace: string;
  service: string;
  clusterDomain: string;
  /** The CA's certificate and key (only this job reads it). */
  caSecret: string;
  /** The webhook's serving certificate and key, and `ca.crt` (the trust bundle). */
  servingSecret: string;
  /** When set, a bearer token is made here if there is none (config/components/hook-token). */
  tokenSecret: string | undefined;
  controllers: ControllerRef[];
  /** `external`: another issuer (cert-manager) writes servingSecret; only its ca.crt is published. */
  source: CertificateSource;
}

export interface Issuer {
  issueCA(commonName: string, now: Date): Promise<IssuedPair>;
  issueServing(ca: IssuedPair, names: ServingNames, now: Date): Promise<IssuedPair>;
}

export interface JobContext {
  api: KubeApi;
  issuer: Issuer;
  now: () => Date;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/** Someone else wrote the same object meanwhile (another run of the job): run again. */
export class WriteConflict extends Error {}

/** What the job needs is not there (yet): the Service, a controller, cert-manager's Secret. */
export class NotReady extends Error {}

/** A Secret of the name the job writes exists and someone else made it: it is left alone. */
export class NotOurs extends Error {}

const HOOK_NAMES = ['sync', 'finalize', 'customize'] as const;
const LABELS = {
  'app.kubernetes.io/part-of': 'pylambda',
  'app.kubernetes.io/managed-by': 'pylambda-certs',
};

type KubeObject = Record<string, unknown> & {
  metadata?: { resourceVersion?: string; labels?: Record<string, string> };
};

/** The job writes only Secrets it made (they carry its managed-by label). */
function madeByJob(secret: KubeObject): boolean {
  return (
    secret.metadata?.labels?.['app.kubernetes.io/managed-by'] ===
    LABELS['app.kubernetes.io/managed-by']
  );
}

async function getSecret(
  ctx: JobContext,
  namespace: string,
  name: string,
): Promise<KubeObject | undefined> {
  return (await ctx.api.get(secretsPath(namespace, name))) as KubeObject | undefined;
}

function secretText(secret: KubeObject | undefined, key: string): string | undefined {
  const data = (secret?.data ?? {}) as Record<string, unknown>;
  const value = data[key];
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

function secretsPath(namespace: string, name?: string): string {
  return `/api/v1/namespaces/${namespace}/secrets${name ? `/${name}` : ''}`;
}

/** Creates the Secret, or replaces it at the version that was read (409: a WriteConflict). */
async function writeSecret(
  ctx: JobContext,
  namespace: string,
  name: string,
  existing: KubeObject | undefined,
  type: string,
  data: Record<string, string>,
): Promise<void> {
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: LABELS,
      ...(existing ? { resourceVersion: existing.metadata?.resourceVersion } : {}),
    },
    type,
    data: Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
  };
  try {
    if (existing) await ctx.api.replace(secretsPath(namespace, name), body);
    else await ctx.api.create(secretsPath(namespace), body);
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      throw new WriteConflict(`secret ${namespace}/${name} changed while this run wrote it`);
    }
    throw err;
  }
  ctx.log(existing ? 'replaced secret' : 'created secret', { secret: `${namespace}/${name}` });
}

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
      `secret ${settings.namespace}/${settings.caSecret} was not made by this job, which leaves it alone: ` +
        'delete it to have the job make its CA there, or name another with --ca-secret',
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
      previousCA: previous?.facts,
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

/** cert-manager (or another issuer) wrote the Secret: trust what it says is its CA. */
function externalBundle(settings: CertificateJobSettings, secret: KubeObject | undefined): string {
  const ca = secretText(secret, 'ca.crt');
  if (!ca || !certificateFacts(ca)) {
    throw new NotReady(
      `secret ${settings.namespace}/${settings.servingSecret} has no ca.crt (yet), the CA the hooks must trust: ` +
        'with cert-manager, issue it from a CA issuer; a Secret made by hand needs ca.crt added, or delete it to have the job issue one',
    );
  }
  return ca.endsWith('\n') ? ca : `${ca}\n`;
}

/** Puts `bundle` into every hook of pylambda's controllers that does not name a CA of its own. */
async function publishTrust(
  ctx: JobContext,
  settings: CertificateJobSettings,
  bundle: string,
): Promise<void> {
  for (const controller of settings.controllers) {
    const path = `/apis/metacontroller.k8s.io/v1alpha1/${controller.resource}/${controller.name}`;
    const object = (await ctx.api.get(path)) as
      { spec?: { hooks?: Record<string, unknown> } } | undefined;
    if (!object) throw new NotReady(`${controller.resource}/${controller.name} does not exist yet`);
    const hooks = object.spec?.hooks ?? {};
    const patch: Record<string, unknown> = {};
    for (const name of HOOK_NAMES) {
      const webhook = (
        hooks[name] as { webhook?: { caBundle?: Record<string, unknown> } } | undefined
      )?.webhook;
      if (!webhook) continue;
      const caBundle = webhook.caBundle ?? {};
      if (caBundle.secretRef || caBundle.configMapRef) {
        ctx.log('hook names a CA of its own; left alone', {
          controller: controller.name,
          hook: name,
        });
        continue;
      }
      if (caBundle.inline !== bundle) patch[name] = { webhook: { caBundle: { inline: bundle } } };
    }
    if (Object.keys(patch).length === 0) continue;
    await ctx.api.mergePatch(path, { spec: { hooks: patch } });
    ctx.log('hooks now trust the CA', {
      controller: `${controller.resource}/${controller.name}`,
      hooks: Object.keys(patch),
    });
  }
}

/** A token is made once and never rotated by the job (docs/hook-auth-tls.md says how to). */
async function ensureToken(
  ctx: JobContext,
  settings: CertificateJobSettings,
  name: string,
): Promise<void> {
  const secret = (await ctx.api.get(secretsPath(settings.namespace, name))) as
    KubeObject | undefined;
  if (secretText(secret, 'token')?.trim()) return;
  if (secret && !madeByJob(secret)) {
    throw new NotOurs(
      `secret ${settings.namespace}/${name} has no token and was not made by this job, which leaves it alone`,
    );
  }
  await writeSecret(ctx, settings.namespace, name, secret, 'Opaque', {
    token: randomBytes(32).toString('hex'),
  });
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
      ? externalBundle(settings, serving)
      : await issueWhereNeeded(ctx, settings, serving);
  await publishTrust(ctx, settings, bundle);
}
