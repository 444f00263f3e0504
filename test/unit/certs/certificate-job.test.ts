// The certificate job (src/certs/ensure-certificates.ts) against an in-memory API server: what a
// first run writes, that a second writes nothing, what it leaves alone, and, over random
// histories of days passing and objects lost or damaged, that every run leaves a serving
// certificate that Metacontroller's hooks trust, for the Service's names, far from expiry.
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { certificateFacts } from '../../../src/certs/certificate-facts.js';
import {
  ensureCertificates,
  NotOurs,
  NotReady,
  WriteConflict,
  type CertificateJobSettings,
  type JobContext,
} from '../../../src/certs/ensure-certificates.js';
import { issueCA, issueServing } from '../../../src/certs/issue-certificates.js';
import { LIFETIMES } from '../../../src/certs/renewal-plan.js';
import { FakeKubeApi } from './fake-kube-api.js';

const NS = 'pylambda-system';
const DAY = 24 * 60 * 60 * 1000;
const SERVICE = `/api/v1/namespaces/${NS}/services/pylambda-webhook`;
const CA_SECRET = `/api/v1/namespaces/${NS}/secrets/pylambda-webhook-ca`;
const TLS_SECRET = `/api/v1/namespaces/${NS}/secrets/pylambda-webhook-tls`;
const TOKEN_SECRET = `/api/v1/namespaces/${NS}/secrets/pylambda-webhook-token`;
const COMPOSITE =
  '/apis/metacontroller.k8s.io/v1alpha1/compositecontrollers/pythonlambda-controller';
const DECORATOR =
  '/apis/metacontroller.k8s.io/v1alpha1/decoratorcontrollers/pylambda-deployment-decorator';

const SETTINGS: CertificateJobSettings = {
  namespace: NS,
  service: 'pylambda-webhook',
  clusterDomain: 'cluster.local',
  caSecret: 'pylambda-webhook-ca',
  servingSecret: 'pylambda-webhook-tls',
  tokenSecret: undefined,
  controllers: [
    { resource: 'compositecontrollers', name: 'pythonlambda-controller' },
    { resource: 'decoratorcontrollers', name: 'pylambda-deployment-decorator' },
  ],
  source: 'issue',
};

function hook(path: string) {
  return {
    version: 'v2',
    webhook: {
      service: { name: 'pylambda-webhook', namespace: NS, port: 443, protocol: 'https' },
      path,
    },
  };
}

function cluster(clusterIP = '10.96.0.10'): FakeKubeApi {
  const api = new FakeKubeApi();
  api.put(SERVICE, {
    metadata: { name: 'pylambda-webhook' },
    spec: { clusterIP, clusterIPs: [clusterIP] },
  });
  api.put(COMPOSITE, {
    metadata: { name: 'pythonlambda-controller' },
    spec: {
      hooks: {
        sync: hook('/hooks/pythonlambda/sync'),
        customize: hook('/hooks/pythonlambda/customize'),
      },
    },
  });
  api.put(DECORATOR, {
    metadata: { name: 'pylambda-deployment-decorator' },
    spec: {
      hooks: {
        sync: hook('/hooks/lambda-deployment/sync'),
        finalize: hook('/hooks/lambda-deployment/finalize'),
      },
    },
  });
  return api;
}

function context(api: FakeKubeApi, clock: { now: Date }): JobContext {
  return { api, issuer: { issueCA, issueServing }, now: () => clock.now, log: () => {} };
}

function secretText(api: FakeKubeApi, path: string, key: string): string | undefined {
  const data = (api.objects.get(path)?.data ?? {}) as Record<string, string>;
  return data[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8');
}

function hookBundles(api: FakeKubeApi): (string | undefined)[] {
  return [COMPOSITE, DECORATOR].flatMap((path) => {
    const hooks = (
      api.objects.get(path)!.spec as {
        hooks: Record<string, { webhook: { caBundle?: { inline?: string } } }>;
      }
    ).hooks;
    return Object.values(hooks).map((h) => h.webhook.caBundle?.inline);
  });
}

/** Every certificate of a PEM bundle. */
function bundleCertificates(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map(
    (p) => new X509Certificate(p),
  );
}

function trusts(bundle: string, certificate: X509Certificate): boolean {
  return bundleCertificates(bundle).some(
    (ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey),
  );
}

describe('certificate job', function () {
  this.timeout(120_000);

  it('first run: makes the CA and the serving certificate and puts the CA into every hook; a second run writes nothing', async () => {
    const api = cluster();
    const clock = { now: new Date('2026-12-04T00:00:00Z') };
    await ensureCertificates(context(api, clock), SETTINGS);
    expect(api.writes.sort()).to.deep.equal([
      `PATCH ${COMPOSITE}`,
      `PATCH ${DECORATOR}`,
      `POST ${CA_SECRET}`,
      `POST ${TLS_SECRET}`,
    ]);
    const ca = secretText(api, CA_SECRET, 'tls.crt')!;
    expect(new Set(hookBundles(api))).to.deep.equal(new Set([`${ca.trim()}\n`]));
    expect(secretText(api, TLS_SECRET, 'ca.crt')).to.equal(`${ca.trim()}\n`);
    const serving = certificateFacts(secretText(api, TLS_SECRET, 'tls.crt'))!;
    expect(serving.dnsNames).to.include('pylambda-webhook.pylambda-system');
    expect(serving.ipAddresses).to.deep.equal(['10.96.0.10']);
    api.writes.length = 0;
    await ensureCertificates(context(api, clock), SETTINGS);
    expect(api.writes).to.deep.equal([]);
  });

  it('never publishes a private key', async () => {
    const api = cluster();
    await ensureCertificates(context(api, { now: new Date() }), SETTINGS);
    for (const bundle of [...hookBundles(api), secretText(api, TLS_SECRET, 'ca.crt')]) {
      expect(bundle).to.not.include('PRIVATE KEY');
    }
  });

  it('leaves a hook that names a CA of its own alone', async () => {
    const api = cluster();
    const own = { configMapRef: { name: 'my-ca', namespace: NS } };
    await api.mergePatch(COMPOSITE, {
      spec: { hooks: { customize: { webhook: { caBundle: own } } } },
    });
    await ensureCertificates(context(api, { now: new Date() }), SETTINGS);
    const hooks = (
      api.objects.get(COMPOSITE)!.spec as {
        hooks: Record<string, { webhook: { caBundle?: unknown } }>;
      }
    ).hooks;
    expect(hooks.customize!.webhook.caBundle).to.deep.equal(own);
    expect(hooks.sync!.webhook.caBundle).to.have.property('inline');
  });

  it('waits for the Service and the controllers (NotReady), writing nothing before the Service is there', async () => {
    const api = cluster();
    api.objects.delete(SERVICE);
    let failure = await ensureCertificates(context(api, { now: new Date() }), SETTINGS).catch(
      (err: unknown) => err,
    );
    expect(failure).to.be.instanceOf(NotReady);
    expect(api.writes).to.deep.equal([]);
    const fresh = cluster();
    fresh.objects.delete(DECORATOR);
    failure = await ensureCertificates(context(fresh, { now: new Date() }), SETTINGS).catch(
      (err: unknown) => err,
    );
    expect(failure).to.be.instanceOf(NotReady);
    expect((failure as Error).message).to.include(
      'decoratorcontrollers/pylambda-deployment-decorator',
    );
  });

  it('reports a WriteConflict when another run replaced a Secret after this one read it', async () => {
    const api = cluster();
    const clock = { now: new Date('2026-01-01T00:00:00Z') };
    await ensureCertificates(context(api, clock), SETTINGS);
    clock.now = new Date(clock.now.getTime() + 300 * DAY); // the serving certificate is due
    const racing = Object.create(api) as FakeKubeApi;
    racing.replace = async (path, body) => {
      api.put(path, api.objects.get(path)!); // someone else's write: a new resourceVersion
      return api.replace(path, body);
    };
    const failure = await ensureCertificates(
      { ...context(api, clock), api: racing },
      SETTINGS,
    ).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(WriteConflict);
  });

  it('makes a token once and never replaces it', async () => {
    const api = cluster();
    const settings = { ...SETTINGS, tokenSecret: 'pylambda-webhook-token' };
    await ensureCertificates(context(api, { now: new Date() }), settings);
    const token = secretText(api, TOKEN_SECRET, 'token')!;
    expect(token).to.match(/^[0-9a-f]{64}$/);
    await ensureCertificates(context(api, { now: new Date(Date.now() + 400 * DAY) }), settings);
    expect(secretText(api, TOKEN_SECRET, 'token')).to.equal(token);
  });

  it('with an external issuer: publishes its ca.crt and issues nothing', async () => {
    const api = cluster();
    const settings = { ...SETTINGS, source: 'external' as const };
    const failure = await ensureCertificates(context(api, { now: new Date() }), settings).catch(
      (err: unknown) => err,
    );
    expect(failure).to.be.instanceOf(NotReady);
    const ca = await issueCA('cert-manager-ca', new Date());
    await api.create(`/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'pylambda-webhook-tls' },
      data: { 'ca.crt': Buffer.from(ca.certificatePem).toString('base64') },
    });
    api.writes.length = 0;
    await ensureCertificates(context(api, { now: new Date() }), settings);
    expect(api.writes.sort()).to.deep.equal([`PATCH ${COMPOSITE}`, `PATCH ${DECORATOR}`]);
    expect(new Set(hookBundles(api))).to.deep.equal(new Set([ca.certificatePem]));
  });

  it('leaves a serving Secret someone else made as it is, and has the hooks trust its ca.crt', async () => {
    const api = cluster();
    const theirs = await issueCA('made-by-hand', new Date());
    const data = {
      'ca.crt': theirs.certificatePem,
      'tls.crt': theirs.certificatePem,
      'tls.key': theirs.keyPem,
    };
    api.put(TLS_SECRET, {
      metadata: { name: 'pylambda-webhook-tls' },
      data: Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
    });
    const before = structuredClone(api.objects.get(TLS_SECRET));
    await ensureCertificates(context(api, { now: new Date() }), SETTINGS);
    expect(api.writes.sort()).to.deep.equal([`PATCH ${COMPOSITE}`, `PATCH ${DECORATOR}`]);
    expect(api.objects.get(TLS_SECRET)).to.deep.equal(before);
    expect(new Set(hookBundles(api))).to.deep.equal(new Set([theirs.certificatePem]));
  });

  it('refuses to write over a CA Secret someone else made (NotOurs), writing nothing', async () => {
    const api = cluster();
    api.put(CA_SECRET, { metadata: { name: 'pylambda-webhook-ca' }, data: { 'tls.crt': 'eA==' } });
    const failure = await ensureCertificates(context(api, { now: new Date() }), SETTINGS).catch(
      (err: unknown) => err,
    );
    expect(failure).to.be.instanceOf(NotOurs);
    expect((failure as Error).message).to.include('was not made by this job');
    expect(api.writes).to.deep.equal([]);
  });

  it('keeps what others added to a Secret’s metadata when it renews it', async () => {
    const api = cluster();
    const clock = { now: new Date('2026-01-01T00:00:00Z') };
    await ensureCertificates(context(api, clock), SETTINGS);
    const tls = api.objects.get(TLS_SECRET)!;
    const metadata = tls.metadata as Record<string, Record<string, string>>;
    metadata.annotations = { ...metadata.annotations, 'backup.example/keep': 'yes' };
    metadata.labels = { ...metadata.labels, team: 'platform' };
    clock.now = new Date(clock.now.getTime() + 300 * DAY);
    await ensureCertificates(context(api, clock), SETTINGS);
    const after = api.objects.get(TLS_SECRET)!.metadata as Record<string, Record<string, string>>;
    expect(after.annotations!['backup.example/keep']).to.equal('yes');
    expect(after.labels!.team).to.equal('platform');
  });

  it('leaves a Secret it made alone once someone else filled it (cert-manager took it over)', async () => {
    const api = cluster();
    await ensureCertificates(context(api, { now: new Date() }), SETTINGS);
    const other = await issueCA('cert-manager-ca', new Date());
    const tls = api.objects.get(TLS_SECRET)!;
    (tls.data as Record<string, string>)['ca.crt'] = Buffer.from(other.certificatePem).toString(
      'base64',
    );
    (tls.data as Record<string, string>)['tls.crt'] = Buffer.from(other.certificatePem).toString(
      'base64',
    );
    const edited = structuredClone(tls);
    api.writes.length = 0;
    await ensureCertificates(context(api, { now: new Date() }), SETTINGS);
    expect(api.objects.get(TLS_SECRET)).to.deep.equal(edited);
    // Its CA first; the job's own stays trusted while valid, for pods still serving its certificate.
    const bundles = [...new Set(hookBundles(api))];
    expect(bundles).to.have.length(1);
    expect(bundles[0]!.startsWith(other.certificatePem)).to.equal(true);
  });

  it('with an external issuer: keeps trusting the CA it trusted before while that is valid', async () => {
    const api = cluster();
    const settings = { ...SETTINGS, source: 'external' as const };
    const first = await issueCA('cert-manager-ca', new Date());
    const second = await issueCA('cert-manager-ca', new Date());
    const put = (pem: string) =>
      api.put(TLS_SECRET, {
        metadata: { name: 'pylambda-webhook-tls' },
        data: { 'ca.crt': Buffer.from(pem).toString('base64') },
      });
    put(first.certificatePem);
    await ensureCertificates(context(api, { now: new Date() }), settings);
    put(second.certificatePem);
    await ensureCertificates(context(api, { now: new Date() }), settings);
    const [bundle] = new Set(hookBundles(api));
    expect(bundleCertificates(bundle!).map((c) => c.toString())).to.deep.equal(
      [second.certificatePem, first.certificatePem].map((pem) =>
        new X509Certificate(pem).toString(),
      ),
    );
    // Once the old one has expired, it goes.
    await ensureCertificates(context(api, { now: new Date(Date.now() + 3651 * DAY) }), settings);
    expect(bundleCertificates([...new Set(hookBundles(api))][0]!)).to.have.length(1);
  });

  it('touches the controllers when it makes the token, so that Metacontroller reads it', async () => {
    const api = cluster();
    await ensureCertificates(context(api, { now: new Date() }), {
      ...SETTINGS,
      tokenSecret: 'pylambda-webhook-token',
    });
    const token = secretText(api, TOKEN_SECRET, 'token')!;
    for (const path of [COMPOSITE, DECORATOR]) {
      const annotations =
        (api.objects.get(path)!.metadata as { annotations?: Record<string, string> }).annotations ??
        {};
      expect(annotations['pylambda.dev/hook-token']).to.match(/^[0-9a-f]{16}$/);
      expect(annotations['pylambda.dev/hook-token']).to.not.equal(token.slice(0, 16));
    }
  });

  it('refuses to patch a controller that changed since it was read (WriteConflict), so no hook is re-created as a stub', async () => {
    const api = cluster();
    const racing = Object.create(api) as FakeKubeApi;
    racing.mergePatch = async (path, patch) => {
      // The customize hook is removed between this run's read and its patch.
      const object = api.objects.get(path)!;
      delete (object.spec as { hooks: Record<string, unknown> }).hooks.customize;
      api.put(path, object);
      return api.mergePatch(path, patch);
    };
    const failure = await ensureCertificates(
      { ...context(api, { now: new Date() }), api: racing },
      SETTINGS,
    ).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(WriteConflict);
    expect(
      (api.objects.get(COMPOSITE)!.spec as { hooks: Record<string, unknown> }).hooks,
    ).to.not.have.property('customize');
  });

  type Event =
    | { kind: 'days'; days: number }
    | { kind: 'lose'; path: typeof CA_SECRET | typeof TLS_SECRET }
    | { kind: 'damage-key'; path: typeof CA_SECRET | typeof TLS_SECRET }
    | { kind: 'new-cluster-ip'; octet: number }
    | { kind: 'hooks-replaced' };

  const event: fc.Arbitrary<Event> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.integer({ min: 1, max: 1200 }).map((days) => ({ kind: 'days' as const, days })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(CA_SECRET, TLS_SECRET)
        .map((path) => ({ kind: 'lose' as const, path })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(CA_SECRET, TLS_SECRET)
        .map((path) => ({ kind: 'damage-key' as const, path })),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 2, max: 250 })
        .map((octet) => ({ kind: 'new-cluster-ip' as const, octet })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'hooks-replaced' as const }) },
  );

  it('after every run of a random history: trusted, named, far from expiry, stable, and idempotent', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 12 }), async (events) => {
        const api = cluster();
        const clock = { now: new Date('2026-12-04T00:00:00Z') };
        let clusterIP = '10.96.0.10';
        await ensureCertificates(context(api, clock), SETTINGS);
        for (const e of events) {
          const caBefore = secretText(api, CA_SECRET, 'tls.crt');
          let caLost = false;
          if (e.kind === 'days') clock.now = new Date(clock.now.getTime() + e.days * DAY);
          else if (e.kind === 'lose') {
            api.objects.delete(e.path);
            caLost = e.path === CA_SECRET;
          } else if (e.kind === 'damage-key') {
            // Someone else edits the Secret: from now on it is theirs, and the job leaves it.
            const object = api.objects.get(e.path)!;
            (object.data as Record<string, string>)['tls.key'] =
              Buffer.from('not a key').toString('base64');
            const edited = structuredClone(object);
            api.writes.length = 0;
            const failure = await ensureCertificates(context(api, clock), SETTINGS).catch(
              (err: unknown) => err,
            );
            expect(api.objects.get(e.path), 'their Secret is left as it is').to.deep.equal(edited);
            expect(api.writes.filter((w) => w.endsWith(e.path))).to.deep.equal([]);
            if (e.path === CA_SECRET)
              expect(failure, 'a CA that is not the job’s stops it').to.be.instanceOf(NotOurs);
            else
              expect(new Set(hookBundles(api)), 'the hooks trust its ca.crt').to.deep.equal(
                new Set([secretText(api, TLS_SECRET, 'ca.crt')]),
              );
            return;
          } else if (e.kind === 'new-cluster-ip') {
            clusterIP = `10.96.1.${e.octet}`;
            api.put(SERVICE, {
              metadata: { name: 'pylambda-webhook' },
              spec: { clusterIPs: [clusterIP] },
            });
          } else {
            // `kubectl replace` of a controller from config/default: its hooks have no CA.
            for (const path of [COMPOSITE, DECORATOR]) {
              const object = api.objects.get(path)!;
              for (const h of Object.values(
                (object.spec as { hooks: Record<string, { webhook: Record<string, unknown> }> })
                  .hooks,
              )) {
                delete h.webhook.caBundle;
              }
            }
          }
          // Pods serve the certificate they have until the kubelet swaps in a new one: it must
          // stay trusted while its CA is valid, and a new one must be trusted before it is written.
          const servedBefore = secretText(api, TLS_SECRET, 'tls.crt');
          const servedIssuer = bundleCertificates(secretText(api, TLS_SECRET, 'ca.crt') ?? '').find(
            (ca) => servedBefore && new X509Certificate(servedBefore).checkIssued(ca),
          );
          api.beforeWrite = (path, object) => {
            if (path !== TLS_SECRET) return;
            const next = new X509Certificate(
              Buffer.from((object.data as Record<string, string>)['tls.crt']!, 'base64'),
            );
            for (const inline of hookBundles(api)) {
              expect(
                trusts(inline ?? '', next),
                'the hooks trust a certificate before it is served',
              ).to.equal(true);
            }
          };
          await ensureCertificates(context(api, clock), SETTINGS);
          api.beforeWrite = () => {};
          const stillValid =
            servedIssuer &&
            new Date(servedIssuer.validTo).getTime() > clock.now.getTime() &&
            !caLost;
          if (servedBefore && stillValid && e.kind !== 'lose') {
            for (const inline of hookBundles(api)) {
              expect(
                trusts(inline ?? '', new X509Certificate(servedBefore)),
                'the certificate pods still serve stays trusted',
              ).to.equal(true);
            }
          }

          const bundle = secretText(api, TLS_SECRET, 'ca.crt')!;
          expect(new Set(hookBundles(api)), 'every hook trusts the bundle').to.deep.equal(
            new Set([bundle]),
          );
          expect(bundle).to.not.include('PRIVATE KEY');
          const serving = new X509Certificate(secretText(api, TLS_SECRET, 'tls.crt')!);
          expect(
            trusts(bundle, serving),
            'a CA of the bundle issued the serving certificate',
          ).to.equal(true);
          const facts = certificateFacts(serving.toString())!;
          expect(facts.ipAddresses).to.include(clusterIP);
          expect(facts.dnsNames).to.include('pylambda-webhook.pylambda-system');
          expect(facts.notBefore.getTime()).to.be.at.most(clock.now.getTime());
          expect(facts.notAfter.getTime() - clock.now.getTime()).to.be.greaterThan(
            LIFETIMES.servingRenewBeforeDays * DAY,
          );
          // The CA changes only when it was lost, damaged or near its end.
          const caAfter = secretText(api, CA_SECRET, 'tls.crt');
          const caFacts = certificateFacts(caBefore);
          const caDue =
            !caFacts ||
            caFacts.notAfter.getTime() - clock.now.getTime() <= LIFETIMES.caRenewBeforeDays * DAY;
          if (!caLost && !caDue) expect(caAfter, 'the CA stays').to.equal(caBefore);
          api.writes.length = 0;
          await ensureCertificates(context(api, clock), SETTINGS);
          expect(api.writes, 'a second run at the same time writes nothing').to.deep.equal([]);
          // Nor one on a node whose clock lags by more than the hour certificates are backdated.
          await ensureCertificates(
            context(api, { now: new Date(clock.now.getTime() - 100 * 60 * 1000) }),
            SETTINGS,
          );
          expect(api.writes, 'a run on a lagging clock writes nothing').to.deep.equal([]);
        }
      }),
      { numRuns: 25 },
    );
  });
});
