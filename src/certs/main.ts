// The certificate job's entry (config/certs runs it as a Job at install and a daily CronJob):
// `node dist/src/certs/main.js [--source issue|external] [--token-secret NAME] ...`.
// Exit status 0: everything in order; 1: it could not get there, maybe for now (the Job retries
// it); 2: bad arguments or not in a pod; 3: a Secret of its names belongs to someone else. The
// Job's podFailurePolicy stops at once on 2 and 3: a retry would fail the same way.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createLogger } from '../telemetry/logger.js';
import {
  ensureCertificates,
  NotOurs,
  NotReady,
  WriteConflict,
  type CertificateJobSettings,
  type CertificateSource,
} from './ensure-certificates.js';
import { issueCA, issueServing } from './issue-certificates.js';
import { inClusterEndpoint, inClusterNamespace, kubeApi } from './kube-api.js';

const OPTIONS = {
  namespace: { type: 'string' },
  service: { type: 'string', default: 'pylambda-webhook' },
  'cluster-domain': { type: 'string', default: 'cluster.local' },
  'ca-secret': { type: 'string', default: 'pylambda-webhook-ca' },
  'serving-secret': { type: 'string', default: 'pylambda-webhook-tls' },
  'token-secret': { type: 'string' },
  'composite-controller': { type: 'string', default: 'pythonlambda-controller' },
  'decorator-controller': { type: 'string', default: 'pylambda-deployment-decorator' },
  source: { type: 'string', default: 'issue' },
  // The Service and the controllers are applied together with the Job; give them time to appear.
  'wait-seconds': { type: 'string', default: '120' },
} as const;

class UsageError extends Error {}

function settingsFrom(argv: string[]): { settings: CertificateJobSettings; waitMs: number } {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const source = values.source as CertificateSource;
  if (source !== 'issue' && source !== 'external') {
    throw new UsageError(`--source ${JSON.stringify(values.source)}: must be issue or external`);
  }
  const waitSeconds = Number(values['wait-seconds']);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 3600) {
    throw new UsageError(
      `--wait-seconds ${JSON.stringify(values['wait-seconds'])}: must be an integer from 0 to 3600`,
    );
  }
  return {
    waitMs: waitSeconds * 1000,
    settings: {
      namespace: values.namespace ?? inClusterNamespace(),
      service: values.service,
      clusterDomain: values['cluster-domain'],
      caSecret: values['ca-secret'],
      servingSecret: values['serving-secret'],
      tokenSecret: values['token-secret'] || undefined,
      controllers: [
        { resource: 'compositecontrollers', name: values['composite-controller'] },
        { resource: 'decoratorcontrollers', name: values['decorator-controller'] },
      ],
      source,
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const logger = createLogger(process.env.LOG_LEVEL || 'info', undefined, 'pylambda-certs');
  let parsed;
  try {
    parsed = settingsFrom(argv);
  } catch (err) {
    logger.fatal((err as Error).message);
    return 2; // bad arguments, or not in a pod (no service-account namespace file)
  }
  const { settings, waitMs } = parsed;
  let endpoint;
  try {
    endpoint = inClusterEndpoint();
  } catch (err) {
    logger.fatal((err as Error).message);
    return 2;
  }
  const ctx = {
    api: kubeApi(endpoint),
    issuer: { issueCA, issueServing },
    now: () => new Date(),
    log: (msg: string, fields: Record<string, unknown> = {}) => logger.info(fields, msg),
  };
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await ensureCertificates(ctx, settings);
      logger.info(
        { namespace: settings.namespace, source: settings.source },
        'certificates and hooks in order',
      );
      return 0;
    } catch (err) {
      const retriable = err instanceof NotReady || err instanceof WriteConflict;
      if (!retriable || Date.now() >= deadline) {
        logger.error({ err: (err as Error).message }, 'the certificate job failed');
        return err instanceof NotOurs ? 3 : 1;
      }
      logger.info({ reason: (err as Error).message }, 'not yet; trying again in 2 s');
      await sleep(2000);
    }
  }
}

process.exitCode = await main(process.argv.slice(2));
