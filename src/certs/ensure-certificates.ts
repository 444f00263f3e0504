// One run of the certificate job: read what the cluster holds, plan (renewal-plan.ts), write only
// what the plan asks for, and make every hook of pylambda's controllers trust the CA. Run it any
// number of times: a run that finds everything in order writes nothing.
//
// The CA goes into the hooks inline (`caBundle.inline`) rather than by reference, because
// Metacontroller v4.17.2 resolves a `configMapRef` or `secretRef` through its cached client, which
// lists and watches every ConfigMap (or Secret) of the cluster to answer one read; and because a
// change of the controller's spec is what makes Metacontroller load a new CA.
import { createHash, randomBytes } from 'node:crypto';
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

// Every hook the controllers' schema has (pylambda uses the first three; Metacontroller v4.17.2
// declares the other two without calling them).
const HOOK_NAMES = ['sync', 'finalize', 'customize', 'preUpdateChild', 'postUpdateChild'] as const;
/** On a Secret the job wrote: a digest of the data it wrote, to tell whether someone changed it since. */
const WRITTEN_ANNOTATION = 'pylambda.dev/written-by-certs-job';
/** On the controllers, when the job made the token: their change makes Metacontroller read it again. */
const TOKEN_ANNOTATION = 'pylambda.dev/hook-token';
const LABELS = {
  'app.kubernetes.io/part-of': 'pylambda',
  'app.kubernetes.io/managed-by': 'pylambda-certs',
};

type KubeObject = Record<string, unknown> & {
  metadata?: {
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

/** A digest of a Secret's data as the API holds it (base64 values), independent of key order. */
function dataDigest(data: Record<string, unknown>): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(data).sort()) hash.update(`${key}\0${String(data[key])}\0`);
  return hash.digest('hex');
}

/**
 * The job writes only Secrets it made and nobody changed since: its label, and the digest of the
 * data it wrote. A Secret that cert-manager (or a person) filled later is theirs, even if it still
 * carries the job's label.
 */
function madeByJob(secret: KubeObject): boolean {
  const labelled =
    secret.metadata?.labels?.['app.kubernetes.io/managed-by'] ===
    LABELS['app.kubernetes.io/managed-by'];
  const digest = secret.metadata?.annotations?.[WRITTEN_ANNOTATION];
  return labelled && digest === dataDigest((secret.data ?? {}) as Record<string, unknown>);
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
  const encoded = Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  );
  // A replace keeps what others added to the metadata (labels, annotations, finalizers, owners).
  const metadata = { ...(existing?.metadata ?? {}) } as Record<string, unknown> & {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // The API server keeps and updates these itself when a replace leaves them out.
  delete metadata.managedFields;
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      ...metadata,
      name,
      namespace,
      labels: { ...(metadata.labels ?? {}), ...LABELS },
      annotations: { ...(metadata.annotations ?? {}), [WRITTEN_ANNOTATION]: dataDigest(encoded) },
    },
    type,
    data: encoded,
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
/** At most this many CAs are trusted at once in external mode: the current one and two before it. */
const MAX_EXTERNAL_CAS = 3;

/**
 * cert-manager (or another issuer) wrote the Secret: trust what it says is its CA, and, while they
 * are still valid, the CAs the hooks trusted before (the webhook may still serve a certificate of
 * the previous one until the kubelet updates its volume).
 */
async function externalBundle(
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

/** The bundle the first controller's sync hook trusts now (undefined before the first run). */
async function publishedBundle(
  ctx: JobContext,
  settings: CertificateJobSettings,
): Promise<string | undefined> {
  const first = settings.controllers[0];
  if (!first) return undefined;
  const object = (await ctx.api.get(
    `/apis/metacontroller.k8s.io/v1alpha1/${first.resource}/${first.name}`,
  )) as
    { spec?: { hooks?: { sync?: { webhook?: { caBundle?: { inline?: string } } } } } } | undefined;
  return object?.spec?.hooks?.sync?.webhook?.caBundle?.inline;
}

/**
 * A merge patch at the version that was read: the API server refuses it (409, a WriteConflict,
 * and the run starts over) if the controller changed since, so a hook removed meanwhile is never
 * re-created as a stub, and a newer bundle another run published is never overwritten.
 */
async function patchController(
  ctx: JobContext,
  path: string,
  resourceVersion: string | undefined,
  patch: Record<string, unknown>,
): Promise<void> {
  try {
    const metadata = (patch.metadata ?? {}) as Record<string, unknown>;
    await ctx.api.mergePatch(path, { ...patch, metadata: { ...metadata, resourceVersion } });
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      throw new WriteConflict(`${path} changed while this run patched it`);
    }
    throw err;
  }
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
      | { metadata?: { resourceVersion?: string }; spec?: { hooks?: Record<string, unknown> } }
      | undefined;
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
    await patchController(ctx, path, object.metadata?.resourceVersion, { spec: { hooks: patch } });
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
  const token = randomBytes(32).toString('hex');
  await writeSecret(ctx, settings.namespace, name, secret, 'Opaque', { token });
  // Metacontroller reads the token when it starts a controller. One whose hooks named the Secret
  // before it existed failed to start and waits in its retry backoff (minutes, growing); a change
  // to the controller starts it again now. The annotation holds a digest, never the token.
  const digest = createHash('sha256').update(token).digest('hex').slice(0, 16);
  for (const controller of settings.controllers) {
    const path = `/apis/metacontroller.k8s.io/v1alpha1/${controller.resource}/${controller.name}`;
    const object = (await ctx.api.get(path)) as
      { metadata?: { resourceVersion?: string } } | undefined;
    if (!object) throw new NotReady(`${controller.resource}/${controller.name} does not exist yet`);
    await patchController(ctx, path, object.metadata?.resourceVersion, {
      metadata: { annotations: { [TOKEN_ANNOTATION]: digest } },
    });
  }
  ctx.log('made the hook token; the controllers will read it', {
    secret: `${settings.namespace}/${name}`,
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
      ? await externalBundle(ctx, settings, serving)
      : await issueWhereNeeded(ctx, settings, serving);
  await publishTrust(ctx, settings, bundle);
}
