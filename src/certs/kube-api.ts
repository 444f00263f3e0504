// The few Kubernetes API calls the certificate job makes (get, create, replace, merge patch),
// over node:https with the pod's service-account token. Written here rather than taken from
// @kubernetes/client-node: that client needs a newer Node.js than the webhook image's, and the job
// needs five REST calls, not a generated client of the whole API.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** A call that takes longer than this fails; the Job's retries (backoffLimit) run it again. */
const CALL_TIMEOUT_MS = 15_000;
/** Kubernetes objects are at most ~1.5 MiB; an answer beyond this is not one. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface KubeApi {
  /** The object at `path`, or undefined if there is none (404). */
  get(path: string): Promise<Record<string, unknown> | undefined>;
  create(collectionPath: string, body: object): Promise<Record<string, unknown>>;
  /** PUT: fails with 409 when body's resourceVersion is no longer the object's. */
  replace(path: string, body: object): Promise<Record<string, unknown>>;
  mergePatch(path: string, patch: object): Promise<Record<string, unknown>>;
}

export interface ApiEndpoint {
  /** https://host:port (in a pod, from KUBERNETES_SERVICE_HOST/PORT); http only for tests. */
  server: string;
  token: string;
  ca: Buffer | undefined;
}

/** The API server as a pod reaches it: its Service's address, its CA, the pod's token. */
export function inClusterEndpoint(env: NodeJS.ProcessEnv = process.env): ApiEndpoint {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  if (!host)
    throw new Error('KUBERNETES_SERVICE_HOST is not set: the job runs in a pod of the cluster');
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${bracketed}:${port}`,
    token: readFileSync(`${SERVICE_ACCOUNT_DIR}/token`, 'utf8').trim(),
    ca: readFileSync(`${SERVICE_ACCOUNT_DIR}/ca.crt`),
  };
}

export function inClusterNamespace(): string {
  return readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim();
}

function statusMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not a Status object: fall through to the raw text
  }
  return `HTTP ${status}: ${text.slice(0, 300)}`;
}

/**
 * Writes are recorded under this field manager, so that `kubectl get --show-managed-fields` says
 * who put the CA into the hooks, and an apply by another manager leaves those fields alone.
 */
export const FIELD_MANAGER = 'pylambda-certs';

function withManager(path: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}fieldManager=${FIELD_MANAGER}`;
}

export function kubeApi(endpoint: ApiEndpoint): KubeApi {
  const base = new URL(endpoint.server);
  const call = (
    method: string,
    path: string,
    body: object | undefined,
    contentType = 'application/json',
  ) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const send = base.protocol === 'http:' ? httpRequest : httpsRequest;
      const req = send(
        new URL(path, base),
        {
          method,
          ca: endpoint.ca,
          timeout: CALL_TIMEOUT_MS,
          headers: {
            Authorization: `Bearer ${endpoint.token}`,
            Accept: 'application/json',
            ...(payload ? { 'Content-Type': contentType, 'Content-Length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES)
              req.destroy(new Error(`${method} ${path}: answer over ${MAX_ANSWER_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer in ${CALL_TIMEOUT_MS} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  const object = async (method: string, path: string, body?: object, contentType?: string) => {
    const { status, text } = await call(method, path, body, contentType);
    if (status < 200 || status > 299)
      throw new ApiError(status, `${method} ${path}: ${statusMessage(status, text)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  return {
    get: async (path) => {
      try {
        return await object('GET', path);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return undefined;
        throw err;
      }
    },
    create: (collectionPath, body) => object('POST', withManager(collectionPath), body),
    replace: (path, body) => object('PUT', withManager(path), body),
    mergePatch: (path, patch) =>
      object('PATCH', withManager(path), patch, 'application/merge-patch+json'),
  };
}
