// HTTPS as config/default installs it, and the bearer token config/components/hook-token adds,
// rendered with the pinned kustomize and then run: certificates made by the certificate job's own
// code (src/certs) for the names it gives them, the real server started with the rendered
// environment, and called the way Metacontroller calls it: https to <service>.<namespace>,
// trusting the CA the job publishes into the hooks.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { servingNames } from '../../src/certs/certificate-names.js';
import { issueCA, issueServing, type IssuedPair } from '../../src/certs/issue-certificates.js';
import {
  find,
  kustomizeBuild,
  kustomizeBuildOverlay,
  type RenderedObject,
} from '../config/kustomize.js';
import { call, describeOutcome } from './support/client.js';
import { syncRequest } from './support/requests.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

const NAMESPACE = 'pylambda-system';
const TLS_SECRET = 'pylambda-webhook-tls';
const TOKEN_SECRET = 'pylambda-webhook-token';

interface Hook {
  webhook: {
    service: { name: string; namespace: string; port: number; protocol?: string };
    path: string;
    caBundle?: unknown;
    authorization?: { type?: string; secretRef: { name: string; namespace: string; key: string } };
  };
}

interface Container {
  name: string;
  args?: string[];
  env: { name: string; value?: string }[];
  ports: { name: string; containerPort: number }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe: { httpGet: { port: string; scheme?: string } };
  livenessProbe: { httpGet: { port: string; scheme?: string } };
}

interface PodSpec {
  containers: Container[];
  volumes: {
    name: string;
    secret?: { secretName: string; items?: { key: string; path: string }[] };
  }[];
}

function webhookPod(objects: RenderedObject[]): { pod: PodSpec; container: Container } {
  const pod = (
    find(objects, 'Deployment', 'pylambda-webhook').spec as { template: { spec: PodSpec } }
  ).template.spec;
  return { pod, container: pod.containers.find((c) => c.name === 'webhook')! };
}

function envOf(container: Container, name: string): string | undefined {
  return container.env.find((e) => e.name === name)?.value;
}

/** The Secret and key a file path in the container comes from (the mount must be read-only). */
function secretFileAt(
  pod: PodSpec,
  container: Container,
  path: string,
): { secret: string; key: string } | undefined {
  for (const mount of container.volumeMounts) {
    if (!path.startsWith(`${mount.mountPath}/`)) continue;
    expect(mount.readOnly, mount.mountPath).to.equal(true);
    const volume = pod.volumes.find((v) => v.name === mount.name);
    const item = volume?.secret?.items?.find(
      (i) => i.path === path.slice(mount.mountPath.length + 1),
    );
    if (volume?.secret && item) return { secret: volume.secret.secretName, key: item.key };
  }
  return undefined;
}

function hooksOf(objects: RenderedObject[]): [string, Hook][] {
  return objects
    .filter((o) => o.kind.endsWith('Controller'))
    .flatMap((o) =>
      Object.entries((o.spec as { hooks: Record<string, Hook> }).hooks).map(
        ([name, hook]) => [`${o.kind} ${name}`, hook] as [string, Hook],
      ),
    );
}

/** Lays out the Secret volumes under `dir` as the kubelet would, and returns the env for them. */
function podFiles(
  dir: string,
  pod: PodSpec,
  container: Container,
  files: Record<string, string>,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const variable of [
    'PYLAMBDA_TLS_CERT_FILE',
    'PYLAMBDA_TLS_KEY_FILE',
    'PYLAMBDA_AUTH_TOKEN_FILE',
  ]) {
    const path = envOf(container, variable);
    if (!path) continue;
    const { key } = secretFileAt(pod, container, path)!;
    const local = join(dir, 'pod', path);
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, files[key]!);
    environment[variable] = local;
  }
  return environment;
}

describe('HTTPS between Metacontroller and the webhook, as config/default installs it', function () {
  this.timeout(60_000);
  let objects: RenderedObject[];
  let pod: PodSpec;
  let container: Container;

  before(() => {
    objects = kustomizeBuild('config/default');
    ({ pod, container } = webhookPod(objects));
  });

  it('mounts the Secret the certificate job writes, read-only, where the webhook reads it', () => {
    expect(secretFileAt(pod, container, envOf(container, 'PYLAMBDA_TLS_CERT_FILE')!)).to.deep.equal(
      {
        secret: TLS_SECRET,
        key: 'tls.crt',
      },
    );
    expect(secretFileAt(pod, container, envOf(container, 'PYLAMBDA_TLS_KEY_FILE')!)).to.deep.equal({
      secret: TLS_SECRET,
      key: 'tls.key',
    });
    // No token by default (config/components/hook-token says why).
    expect(envOf(container, 'PYLAMBDA_AUTH_TOKEN_FILE')).to.equal(undefined);
  });

  it('serves HTTPS on the port that the probes, the Service and the NetworkPolicy use', () => {
    const port = container.ports.find((p) => p.name === 'https');
    expect(port?.containerPort).to.equal(Number(envOf(container, 'PORT')));
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet).to.include({ port: 'https', scheme: 'HTTPS' });
    }
    expect(find(objects, 'Service', 'pylambda-webhook').spec).to.have.deep.property('ports', [
      { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
    ]);
    const policy = find(objects, 'NetworkPolicy', 'pylambda-webhook');
    const allowed = (policy.spec as { ingress: { ports: { port: number }[] }[] }).ingress.flatMap(
      (rule) => rule.ports.map((p) => p.port),
    );
    expect(allowed).to.include(port!.containerPort);
  });

  it('has every hook of both controllers dial https on 443, with the CA left to the certificate job', () => {
    const hooks = hooksOf(objects);
    expect(hooks.map(([id]) => id).sort()).to.deep.equal([
      'CompositeController customize',
      'CompositeController sync',
      'DecoratorController customize',
      'DecoratorController finalize',
      'DecoratorController sync',
    ]);
    for (const [id, hook] of hooks) {
      // Metacontroller v4.17.2 webhookURL(): <protocol>://<name>.<namespace>:<port><path>.
      expect(hook.webhook.service, id).to.deep.equal({
        name: 'pylambda-webhook',
        namespace: NAMESPACE,
        port: 443,
        protocol: 'https',
      });
      // A rendered caBundle would be applied over the one the job publishes on every `kubectl apply`.
      expect(hook.webhook.caBundle, id).to.equal(undefined);
      expect(hook.webhook.authorization, id).to.equal(undefined);
    }
  });

  it('keeps plain HTTP on port 80 in config/plain-http, with no certificate job', () => {
    const plain = kustomizeBuild('config/plain-http');
    expect(
      plain.filter((o) => o.metadata.name.startsWith('pylambda-certs') || o.kind.endsWith('Job')),
    ).to.deep.equal([]);
    for (const [id, hook] of hooksOf(plain)) {
      expect(hook.webhook.service.port, id).to.equal(80);
      expect(hook.webhook.service.protocol ?? 'http', id).to.equal('http');
    }
    const { container: plainContainer } = webhookPod(plain);
    expect(envOf(plainContainer, 'PYLAMBDA_TLS_CERT_FILE')).to.equal(undefined);
  });

  describe('run with certificates the job issues', () => {
    let dir: string;
    let webhook: WebhookProcess;
    let ca: IssuedPair;
    let otherCA: IssuedPair;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pylambda-tls-'));
      const now = new Date();
      ca = await issueCA('pylambda-webhook-ca', now);
      otherCA = await issueCA('pylambda-webhook-ca', now);
      const serving = await issueServing(
        ca,
        servingNames('pylambda-webhook', NAMESPACE, 'cluster.local', ['10.96.0.10']),
        now,
      );
      webhook = await startWebhook(
        podFiles(dir, pod, container, {
          'tls.crt': serving.certificatePem,
          'tls.key': serving.keyPem,
        }),
      );
    });

    after(async () => {
      await webhook?.kill();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const syncCall = (https: { ca: string; servername: string }) => {
      const hook = hooksOf(objects).find(([id]) => id === 'CompositeController sync')![1];
      return call({
        port: webhook.port,
        path: hook.webhook.path,
        body: syncRequest(3),
        agent: false,
        https,
      });
    };

    it('answers a sync call to <service>.<namespace> that trusts the published CA', async () => {
      const answered = await syncCall({
        ca: ca.certificatePem,
        servername: `pylambda-webhook.${NAMESPACE}`,
      });
      expect(answered.kind === 'response' && answered.status, describeOutcome(answered)).to.equal(
        200,
      );
    });

    it('is refused by a caller that trusts another CA (an impostor cannot be told apart otherwise)', async () => {
      const refused = await syncCall({
        ca: otherCA.certificatePem,
        servername: `pylambda-webhook.${NAMESPACE}`,
      });
      expect(refused.kind === 'error' && refused.code, describeOutcome(refused)).to.equal(
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      );
    });

    it('is refused for a name the certificate does not cover', async () => {
      const refused = await syncCall({
        ca: ca.certificatePem,
        servername: 'pylambda-webhook.other-namespace',
      });
      expect(refused.kind === 'error' && refused.code, describeOutcome(refused)).to.equal(
        'ERR_TLS_CERT_ALTNAME_INVALID',
      );
    });
  });
});

describe('config/components/hook-token on top of config/default', function () {
  this.timeout(60_000);
  let objects: RenderedObject[];
  let pod: PodSpec;
  let container: Container;

  before(() => {
    objects = kustomizeBuildOverlay(['config/default'], ['config/components/hook-token']);
    ({ pod, container } = webhookPod(objects));
  });

  it('mounts the token Secret where the webhook reads it', () => {
    expect(
      secretFileAt(pod, container, envOf(container, 'PYLAMBDA_AUTH_TOKEN_FILE')!),
    ).to.deep.equal({
      secret: TOKEN_SECRET,
      key: 'token',
    });
  });

  it('has every hook send the token from that Secret', () => {
    for (const [id, hook] of hooksOf(objects)) {
      expect(hook.webhook.authorization, id).to.deep.equal({
        type: 'Bearer',
        secretRef: { name: TOKEN_SECRET, namespace: NAMESPACE, key: 'token' },
      });
    }
  });

  it('has the install Job and the daily CronJob make the token', () => {
    const job = find(objects, 'Job', 'pylambda-webhook-certs').spec as {
      template: { spec: PodSpec };
    };
    const cron = find(objects, 'CronJob', 'pylambda-webhook-certs').spec as {
      jobTemplate: { spec: { template: { spec: PodSpec } } };
    };
    for (const spec of [job.template.spec, cron.jobTemplate.spec.template.spec]) {
      expect(spec.containers[0]!.args).to.deep.equal([`--token-secret=${TOKEN_SECRET}`]);
    }
  });

  it('grants Metacontroller read access to Secrets, which its cached client needs to read the token, and no write', () => {
    const binding = find(
      objects,
      'ClusterRoleBinding',
      'metacontroller-read-secrets',
    ) as unknown as {
      subjects: unknown[];
      roleRef: { name: string };
    };
    expect(binding.subjects).to.deep.equal([
      { kind: 'ServiceAccount', name: 'metacontroller', namespace: 'metacontroller' },
    ]);
    const role = find(objects, 'ClusterRole', binding.roleRef.name) as unknown as {
      rules: unknown[];
    };
    expect(role.rules).to.deep.equal([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
    ]);
  });

  describe('run', () => {
    let dir: string;
    let webhook: WebhookProcess;
    let ca: IssuedPair;
    const token = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pylambda-token-'));
      const now = new Date();
      ca = await issueCA('pylambda-webhook-ca', now);
      const serving = await issueServing(
        ca,
        servingNames('pylambda-webhook', NAMESPACE, 'cluster.local', []),
        now,
      );
      webhook = await startWebhook(
        podFiles(dir, pod, container, {
          'tls.crt': serving.certificatePem,
          'tls.key': serving.keyPem,
          token: `${token}\n`,
        }),
      );
    });

    after(async () => {
      await webhook?.kill();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('answers a call with the token, and 401 to one without', async () => {
      const https = { ca: ca.certificatePem, servername: `pylambda-webhook.${NAMESPACE}` };
      const path = '/hooks/pythonlambda/sync';
      const body = syncRequest(3);
      const answered = await call({
        port: webhook.port,
        path,
        body,
        agent: false,
        https,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(answered.kind === 'response' && answered.status, describeOutcome(answered)).to.equal(
        200,
      );
      const refused = await call({ port: webhook.port, path, body, agent: false, https });
      expect(refused.kind === 'response' && refused.status, describeOutcome(refused)).to.equal(401);
    });
  });
});
