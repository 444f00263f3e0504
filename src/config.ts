// Service settings, all from the environment, with defaults that work on a laptop.
import { APPLY_STRATEGIES, defaultMaxCodeBytes, type ApplyStrategy } from './lambda/code-size.js';
import { packageVersion } from './package-version.js';
import {
  defaultRuntimeImage,
  FIRST_LIVEZ_RUNTIME,
  isRuntimeVersion,
  RUNTIME_DELIVERIES,
  RUNTIME_UPGRADES,
  servesLivez,
  type RuntimeRelease,
  type RuntimeDelivery,
  type RuntimeUpgrade,
} from './render/runtime-release.js';

export interface ServiceConfig {
  port: number;
  host: string;
  /** Metacontroller sends the parent and every child together: 900 KiB of code travels twice. */
  bodyLimitBytes: number;
  /** JSON values (objects, arrays, strings, keys, numbers, literals) a hook request may hold. */
  maxJsonValues: number;
  /** How long a hook call's body may take to arrive (http/json-body.ts); then 408 and close. */
  bodyReadTimeoutMs: number;
  /** How long an answer may take to be taken by its client (http/write-deadline.ts); then the connection is closed. */
  writeTimeoutMs: number;
  /**
   * How Metacontroller applies children, which decides how the code size is measured. Unset:
   * read from each request (what the observed children show).
   */
  applyStrategy: ApplyStrategy | undefined;
  /** Unset: the limit of the strategy in use. */
  maxCodeBytes: number | undefined;
  clusterDomain: string;
  logLevel: string;
  /** How long SIGTERM waits for in-flight calls before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** After SIGTERM, /readyz fails for this long before the listener closes (endpoints catch up). */
  shutdownDelayMs: number;
  /** Hook calls in progress beyond which new ones get 429 (see http/inflight-limit.ts). */
  maxInflight: number;
  /** Connections open at once (http/connections.ts): past it one waiting for a request is replaced. */
  maxConnections: number;
  retryAfterSeconds: number;
  /** When set, hook calls need `Authorization: Bearer <contents of this file>`. */
  authTokenFile: string | undefined;
  /** When both are set, the service serves HTTPS with this certificate and key. */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  /** How often the certificate files are read again to pick up a renewal (http/tls-reload.ts); 0: never. */
  tlsReloadMs: number;
  /** Bytes of hook answers kept for repeated identical requests (http/response-cache.ts); 0: none. */
  responseCacheBytes: number;
  /** The runtime new pods get (render/runtime-release.ts). */
  runtime: RuntimeRelease;
}

export const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_JSON_VALUES = 200_000;
export const DEFAULT_RESPONSE_CACHE_BYTES = 32 * 1024 * 1024;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)}: must be an integer from ${min} to ${max}`,
    );
  }
  return value;
}

function tlsFiles(env: NodeJS.ProcessEnv): Pick<ServiceConfig, 'tlsCertFile' | 'tlsKeyFile'> {
  const cert = env.PYLAMBDA_TLS_CERT_FILE || undefined;
  const key = env.PYLAMBDA_TLS_KEY_FILE || undefined;
  if (!cert !== !key) {
    throw new ConfigError('PYLAMBDA_TLS_CERT_FILE and PYLAMBDA_TLS_KEY_FILE must be set together');
  }
  return { tlsCertFile: cert, tlsKeyFile: key };
}

/**
 * PYLAMBDA_RUNTIME_VERSION (default: this release), PYLAMBDA_RUNTIME_IMAGE (default
 * pylambda-runtime:<version>, which `make deploy` loads into kind), PYLAMBDA_RUNTIME_DELIVERY and
 * PYLAMBDA_RUNTIME_UPGRADE.
 */
export function runtimeFromEnv(env: NodeJS.ProcessEnv): RuntimeRelease {
  const version = env.PYLAMBDA_RUNTIME_VERSION || packageVersion();
  if (!isRuntimeVersion(version)) {
    throw new ConfigError(
      `PYLAMBDA_RUNTIME_VERSION=${JSON.stringify(version)}: must be a semantic version such as 1.2.3`,
    );
  }
  if (!servesLivez(version)) {
    throw new ConfigError(
      `PYLAMBDA_RUNTIME_VERSION=${JSON.stringify(version)}: must be ${FIRST_LIVEZ_RUNTIME} or later, a runtime that serves /livez (the liveness probe of every pod this webhook renders)`,
    );
  }
  const delivery = (env.PYLAMBDA_RUNTIME_DELIVERY || 'init-container') as RuntimeDelivery;
  if (!RUNTIME_DELIVERIES.includes(delivery)) {
    throw new ConfigError(
      `PYLAMBDA_RUNTIME_DELIVERY=${JSON.stringify(delivery)}: must be ${RUNTIME_DELIVERIES.join(' or ')}`,
    );
  }
  const image = env.PYLAMBDA_RUNTIME_IMAGE || defaultRuntimeImage(version);
  if (/\s/.test(image)) {
    throw new ConfigError(
      `PYLAMBDA_RUNTIME_IMAGE=${JSON.stringify(image)}: must be an image reference`,
    );
  }
  const upgrade = (env.PYLAMBDA_RUNTIME_UPGRADE || 'on-spec-change') as RuntimeUpgrade;
  if (!RUNTIME_UPGRADES.includes(upgrade)) {
    throw new ConfigError(
      `PYLAMBDA_RUNTIME_UPGRADE=${JSON.stringify(upgrade)}: must be ${RUNTIME_UPGRADES.join(' or ')}`,
    );
  }
  return { version, image, delivery, upgrade };
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      `LOG_LEVEL=${JSON.stringify(logLevel)}: must be one of ${LOG_LEVELS.join(', ')}`,
    );
  }
  const applyStrategy = (env.PYLAMBDA_APPLY_STRATEGY || undefined) as ApplyStrategy | undefined;
  if (applyStrategy !== undefined && !APPLY_STRATEGIES.includes(applyStrategy)) {
    throw new ConfigError(
      `PYLAMBDA_APPLY_STRATEGY=${JSON.stringify(applyStrategy)}: must be ${APPLY_STRATEGIES.join(' or ')}, as Metacontroller's --apply-strategy`,
    );
  }
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    bodyLimitBytes: integer(
      env,
      'PYLAMBDA_BODY_LIMIT_BYTES',
      DEFAULT_BODY_LIMIT_BYTES,
      1024,
      256 * 1024 * 1024,
    ),
    // Parsed, a value costs ~50-100 bytes of heap whatever its size as text: this bounds what
    // one request materializes (8 MiB of `{}` would be 2.8 million objects, ~550 MB).
    maxJsonValues: integer(
      env,
      'PYLAMBDA_MAX_JSON_VALUES',
      DEFAULT_MAX_JSON_VALUES,
      1,
      100_000_000,
    ),
    // Metacontroller gives up on a hook call after 10 s, so a body still arriving then is no use.
    bodyReadTimeoutMs: integer(env, 'PYLAMBDA_BODY_READ_TIMEOUT_MS', 10_000, 100, 600_000),
    // Likewise an answer it has not taken by then: Metacontroller reads it at once, or not at all.
    writeTimeoutMs: integer(env, 'PYLAMBDA_WRITE_TIMEOUT_MS', 10_000, 100, 600_000),
    applyStrategy,
    maxCodeBytes:
      env.PYLAMBDA_MAX_CODE_BYTES || applyStrategy
        ? integer(
            env,
            'PYLAMBDA_MAX_CODE_BYTES',
            defaultMaxCodeBytes(applyStrategy ?? 'dynamic-apply'),
            1,
            1024 * 1024,
          )
        : undefined,
    clusterDomain: env.PYLAMBDA_CLUSTER_DOMAIN || 'cluster.local',
    logLevel,
    shutdownTimeoutMs: integer(env, 'PYLAMBDA_SHUTDOWN_TIMEOUT_SECONDS', 20, 0, 3600) * 1000,
    shutdownDelayMs: integer(env, 'PYLAMBDA_SHUTDOWN_DELAY_SECONDS', 0, 0, 600) * 1000,
    maxInflight: integer(env, 'PYLAMBDA_MAX_INFLIGHT', 16, 1, 100000),
    // Metacontroller keeps a few connections per worker; an idle one holds about 3 KB (44 KB over TLS).
    maxConnections: integer(env, 'PYLAMBDA_MAX_CONNECTIONS', 256, 1, 100000),
    retryAfterSeconds: integer(env, 'PYLAMBDA_RETRY_AFTER_SECONDS', 1, 0, 3600),
    authTokenFile: env.PYLAMBDA_AUTH_TOKEN_FILE || undefined,
    ...tlsFiles(env),
    // A renewed Secret reaches a mounted volume within about a minute (the kubelet's sync period).
    tlsReloadMs: integer(env, 'PYLAMBDA_TLS_RELOAD_SECONDS', 60, 0, 86_400) * 1000,
    responseCacheBytes: integer(
      env,
      'PYLAMBDA_RESPONSE_CACHE_BYTES',
      DEFAULT_RESPONSE_CACHE_BYTES,
      0,
      16 * 1024 * 1024 * 1024,
    ),
    runtime: runtimeFromEnv(env),
  };
}
