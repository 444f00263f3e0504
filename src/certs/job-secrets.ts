// The Secrets the job reads and writes, and which of them are its own: a Secret counts as the
// job's only while it carries the job's label and the data the job wrote (a digest of it in an
// annotation), so one that cert-manager or a person filled later is theirs and left alone.
import { createHash } from 'node:crypto';
import { type JobContext, WriteConflict } from './job-context.js';
import { ApiError } from './kube-api.js';

/** On a Secret the job wrote: a digest of the data it wrote, to tell whether someone changed it since. */
const WRITTEN_ANNOTATION = 'pylambda.dev/written-by-certs-job';
const LABELS = {
  'app.kubernetes.io/part-of': 'pylambda',
  'app.kubernetes.io/managed-by': 'pylambda-certs',
};

export type KubeObject = Record<string, unknown> & {
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
export function madeByJob(secret: KubeObject): boolean {
  const labelled =
    secret.metadata?.labels?.['app.kubernetes.io/managed-by'] ===
    LABELS['app.kubernetes.io/managed-by'];
  const digest = secret.metadata?.annotations?.[WRITTEN_ANNOTATION];
  return labelled && digest === dataDigest((secret.data ?? {}) as Record<string, unknown>);
}

export async function getSecret(
  ctx: JobContext,
  namespace: string,
  name: string,
): Promise<KubeObject | undefined> {
  return (await ctx.api.get(secretsPath(namespace, name))) as KubeObject | undefined;
}

export function secretText(secret: KubeObject | undefined, key: string): string | undefined {
  const data = (secret?.data ?? {}) as Record<string, unknown>;
  const value = data[key];
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

function secretsPath(namespace: string, name?: string): string {
  return `/api/v1/namespaces/${namespace}/secrets${name ? `/${name}` : ''}`;
}

/** Creates the Secret, or replaces it at the version that was read (409: a WriteConflict). */
export async function writeSecret(
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
