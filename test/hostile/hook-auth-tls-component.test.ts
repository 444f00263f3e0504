// config/components/hook-auth-tls on top of config/default, rendered with the pinned kustomize:
// the webhook mounts the token and certificate Secrets where its env says, serves HTTPS on the
// port the Service, probes and NetworkPolicy use, and every hook of both controllers dials that
// port over https with the CA and token from the same Secrets. Then the rendered settings run:
// the real server with that environment, called the way Metacontroller calls it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { call, describeOutcome } from './support/client.js';
import { SYNC, syncRequest } from './support/requests.js';
import { hasOpenssl, selfSignedCertificate } from './support/tls.js';
import { REPO_ROOT, startWebhook, type WebhookProcess } from './support/webhook-process.js';

type Json = Record<string, unknown>;

interface Rendered {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Json;
}

interface SecretKeyRef {
  name: string;
  namespace: string;
  key: string;
}

interface Hook {
  webhook: {
    service: { name: string; namespace: string; port: number; protocol?: string };
    path: string;
    caBundle?: { secretRef?: SecretKeyRef };
    authorization?: { type?: string; secretRef: SecretKeyRef };
  };
}

interface Container {
  name: string;
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

const NAMESPACE = 'pylambda-system';
const TOKEN_SECRET = 'pylambda-webhook-token';
const TLS_SECRET = 'pylambda-webhook-tls';

function kustomize(): string | undefined {
  const binary = process.env.KUSTOMIZE || join(REPO_ROOT, '.cache', 'tools', 'bin', 'kustomize');
  return existsSync(binary) ? binary : undefined;
}

/** `kustomize build` of config/default with the component, from a throwaway overlay. */
function renderWithComponent(binary: string): Rendered[] {
  const dir = mkdtempSync(join(tmpdir(), 'pylambda-overlay-'));
  try {
    const up = (path: string) => relative(dir, join(REPO_ROOT, path));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${up('config/default')}`,
        'components:',
        `  - ${up('config/components/hook-auth-tls')}`,
        '',
      ].join('\n'),
    );
    const out = execFileSync(binary, ['build', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return parseAllDocuments(out).map((d) => d.toJS() as Rendered);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function one(objects: Rendered[], kind: string, name: string): Rendered {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind} ${name}`).to.have.length(1);
  return found[0]!;
}

describe('config/components/hook-auth-tls (bearer token and HTTPS between Metacontroller and the webhook)', function () {
  this.timeout(30_000);
  let objects: Rendered[];
  let pod: PodSpec;
  let container: Container;

  before(function () {
    const binary = kustomize();
    // `make test` builds the pinned kustomize first (mk/deploy.mk); a bare `npx mocha` may not have it.
    if (!binary) this.skip();
    objects = renderWithComponent(binary);
    const deployment = one(objects, 'Deployment', 'pylambda-webhook');
    pod = (deployment.spec.template as { spec: PodSpec }).spec;
    container = pod.containers.find((c) => c.name === 'webhook')!;
  });

  const env = (name: string) => container.env.find((e) => e.name === name)?.value;

  /** The Secret and key a file path in the container comes from. */
  function secretFileAt(path: string): { secret: string; key: string } | undefined {
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

  it('mounts the token and certificate Secrets read-only where the webhook reads them', () => {
    expect(secretFileAt(env('PYLAMBDA_AUTH_TOKEN_FILE')!)).to.deep.equal({
      secret: TOKEN_SECRET,
      key: 'token',
    });
    expect(secretFileAt(env('PYLAMBDA_TLS_CERT_FILE')!)).to.deep.equal({
      secret: TLS_SECRET,
      key: 'tls.crt',
    });
    expect(secretFileAt(env('PYLAMBDA_TLS_KEY_FILE')!)).to.deep.equal({
      secret: TLS_SECRET,
      key: 'tls.key',
    });
  });

  it('serves HTTPS on the port that the probes, the Service and the NetworkPolicy use', () => {
    const port = container.ports.find((p) => p.name === 'https');
    expect(port?.containerPort).to.equal(Number(env('PORT')));
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet).to.include({ port: 'https', scheme: 'HTTPS' });
    }
    const service = one(objects, 'Service', 'pylambda-webhook');
    expect(service.spec.ports).to.deep.equal([
      { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
    ]);
    const policy = one(objects, 'NetworkPolicy', 'pylambda-webhook');
    const allowed = (policy.spec.ingress as { ports: { port: number }[] }[]).flatMap((rule) =>
      rule.ports.map((p) => p.port),
    );
    expect(allowed).to.include(port!.containerPort);
  });

  // The PythonLambda controller has no finalize hook unless config/components/composite-finalizer
  // adds one (test/config/composite-finalizer.test.ts renders the two components together).
  for (const [kind, name, hookNames] of [
    ['CompositeController', 'pythonlambda-controller', ['customize', 'sync']],
    ['DecoratorController', 'pylambda-deployment-decorator', ['finalize', 'sync']],
  ] as const) {
    it(`${kind} ${name}: every hook dials https on 443 with the CA and the token from those Secrets`, () => {
      const hooks = one(objects, kind, name).spec.hooks as Record<string, Hook>;
      expect(Object.keys(hooks).sort()).to.deep.equal(hookNames);
      for (const [hookName, hook] of Object.entries(hooks)) {
        const { service, caBundle, authorization } = hook.webhook;
        // Metacontroller v4.17.2 webhookURL(): <protocol>://<name>.<namespace>:<port><path>.
        expect(service).to.deep.equal({
          name: 'pylambda-webhook',
          namespace: NAMESPACE,
          port: 443,
          protocol: 'https',
        });
        expect(caBundle).to.deep.equal({
          secretRef: { name: TLS_SECRET, namespace: NAMESPACE, key: 'ca.crt' },
        });
        expect(authorization).to.deep.equal({
          type: 'Bearer',
          secretRef: { name: TOKEN_SECRET, namespace: NAMESPACE, key: 'token' },
        });
        // The etag settings of config/controllers are kept (Metacontroller caches customize
        // answers per generation itself, so that hook has none).
        if (hookName !== 'customize') expect(hook.webhook).to.have.property('etag');
      }
    });
  }

  describe('the rendered settings, run', () => {
    let dir: string;
    let webhook: WebhookProcess;
    let caBundle: Buffer;
    const token = 'tok-4f1d2c9a7e3b6a5d8c0f1e2d3c4b5a69';

    before(async function () {
      if (!hasOpenssl()) this.skip();
      dir = mkdtempSync(join(tmpdir(), 'pylambda-secrets-'));
      // The Secret volumes, laid out under `dir` as the kubelet lays them out in the pod.
      const certificate = selfSignedCertificate(dir);
      caBundle = certificate.cert;
      const environment: Record<string, string> = {};
      for (const variable of [
        'PYLAMBDA_AUTH_TOKEN_FILE',
        'PYLAMBDA_TLS_CERT_FILE',
        'PYLAMBDA_TLS_KEY_FILE',
      ]) {
        const path = env(variable)!;
        const local = join(dir, 'pod', path);
        mkdirSync(dirname(local), { recursive: true });
        const { key } = secretFileAt(path)!;
        if (key === 'token') writeFileSync(local, `${token}\n`);
        else copyFileSync(key === 'tls.key' ? certificate.keyFile : certificate.certFile, local);
        environment[variable] = local;
      }
      webhook = await startWebhook(environment);
    });

    after(async () => {
      await webhook?.kill();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('answers a hook called as Metacontroller calls it: https to <service>.<namespace>, trusting ca.crt, with the token', async () => {
      const { service, path } = (
        one(objects, 'CompositeController', 'pythonlambda-controller').spec.hooks as Record<
          string,
          Hook
        >
      ).sync!.webhook;
      const https = { ca: caBundle, servername: `${service.name}.${service.namespace}` };
      const answered = await call({
        port: webhook.port,
        path,
        body: syncRequest(3),
        agent: false,
        https,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(answered.kind === 'response' && answered.status, describeOutcome(answered)).to.equal(
        200,
      );
      const refused = await call({
        port: webhook.port,
        path: SYNC,
        body: syncRequest(3),
        agent: false,
        https,
      });
      expect(refused.kind === 'response' && refused.status, describeOutcome(refused)).to.equal(401);
    });
  });
});
