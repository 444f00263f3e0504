// Untrusted callers: with PYLAMBDA_AUTH_TOKEN_FILE a hook call needs `Authorization: Bearer
// <token>` (what Metacontroller >= 4.16 sends from a Secret) and gets 401 JSON without it, while
// the probes and metrics stay open; with PYLAMBDA_TLS_CERT_FILE/KEY_FILE the service speaks
// HTTPS only. Each runs in the real server process, configured as config/default
// (config/components/hook-tls) and config/components/hook-token configure the pod.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { okReplyProblems } from '../property/support/contract.js';
import { call, describeOutcome, type CallOptions, type Outcome } from './support/client.js';
import { SYNC, syncRequest } from './support/requests.js';
import { hasOpenssl, selfSignedCertificate, type TestCertificate } from './support/tls.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

// What `kubectl create secret generic --from-file` stores: the file as is, newline included.
const TOKEN = 'pl-7d2f0c9e4b1a86f35e0d7c2b9a4f1e6d';
const BODY = syncRequest(7);

function expectOk(outcome: Outcome) {
  expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(200);
  if (outcome.kind !== 'response') return;
  expect(
    okReplyProblems(
      { status: 200, headers: outcome.headers, text: outcome.text },
      { hook: 'pythonlambda/sync', namespace: 'load' },
    ),
  ).to.deep.equal([]);
}

function expectUnauthorized(outcome: Outcome) {
  expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(401);
  if (outcome.kind !== 'response') return;
  expect(outcome.headers['www-authenticate']).to.match(/^Bearer realm=/);
  expect(outcome.headers['content-type']).to.match(/^application\/json/);
  expect((JSON.parse(outcome.text) as { error: string }).error).to.match(/bearer token/);
}

const WRONG_AUTHORIZATION = [
  undefined,
  '',
  'Bearer',
  'Bearer ',
  'Bearer wrong',
  `Bearer ${TOKEN.slice(0, -1)}`,
  `Bearer ${TOKEN}x`,
  `Bearer ${TOKEN.toUpperCase()}`,
  `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`,
  `Bearer ${TOKEN}, Bearer ${TOKEN}`,
  TOKEN,
];

describe('hostile: bearer-token authentication (PYLAMBDA_AUTH_TOKEN_FILE)', function () {
  this.timeout(30_000);
  let dir: string;
  let webhook: WebhookProcess;
  const hook = (options: Partial<CallOptions> = {}) =>
    call({ port: webhook.port, path: SYNC, body: BODY, agent: false, ...options });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pylambda-auth-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    webhook = await startWebhook({ PYLAMBDA_AUTH_TOKEN_FILE: join(dir, 'token') });
  });

  after(async () => {
    await webhook?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a call with the right token (the file may end in a newline)', async () => {
    expectOk(await hook({ headers: { authorization: `Bearer ${TOKEN}` } }));
    // The scheme is case-insensitive (RFC 9110); Metacontroller's `type` may be spelled either way.
    expectOk(await hook({ headers: { authorization: `bearer ${TOKEN}` } }));
  });

  it('refuses every other Authorization with 401, WWW-Authenticate and a JSON error', async () => {
    for (const authorization of WRONG_AUTHORIZATION) {
      expectUnauthorized(
        await hook({ headers: authorization === undefined ? {} : { authorization } }),
      );
    }
  });

  it('refuses before reading the body: a 5 MiB call without the token is answered at once, and the connection stays open', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const started = Date.now();
    const big = syncRequest(8, 5 * 1024 * 1024);
    const refused = await hook({ body: big, agent, headers: { authorization: 'Bearer wrong' } });
    expectUnauthorized(refused);
    expect(Date.now() - started).to.be.below(5_000);
    // The service drops the unread body and keeps the connection.
    expect(refused.kind === 'response' && refused.headers.connection).to.equal('keep-alive');
    const next = await hook({ agent, headers: { authorization: `Bearer ${TOKEN}` } });
    agent.destroy();
    expectOk(next);
  });

  it('keeps /healthz, /readyz and /metrics open for probes and Prometheus', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const outcome = await call({ port: webhook.port, path, agent: false });
      expect(
        outcome.kind === 'response' && outcome.status,
        `${path}: ${describeOutcome(outcome)}`,
      ).to.equal(200);
    }
  });
});

describe('hostile: HTTPS with a mounted certificate, and the token (PYLAMBDA_TLS_CERT_FILE, PYLAMBDA_TLS_KEY_FILE)', function () {
  this.timeout(30_000);
  let dir: string;
  let certificate: TestCertificate;
  let webhook: WebhookProcess;

  before(async function () {
    if (!hasOpenssl()) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'pylambda-tls-'));
    certificate = selfSignedCertificate(dir);
    writeFileSync(join(dir, 'token'), TOKEN);
    webhook = await startWebhook({
      PYLAMBDA_TLS_CERT_FILE: certificate.certFile,
      PYLAMBDA_TLS_KEY_FILE: certificate.keyFile,
      PYLAMBDA_AUTH_TOKEN_FILE: join(dir, 'token'),
    });
  });

  after(async () => {
    await webhook?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const https = (options: Partial<CallOptions> = {}) =>
    call({
      port: webhook.port,
      path: SYNC,
      body: BODY,
      agent: false,
      https: { ca: certificate.cert },
      ...options,
    });

  it('serves hook calls over HTTPS to a client that trusts its CA (caBundle), with the token', async () => {
    expect(webhook.logs.find((l) => l.msg === 'pylambda webhook listening')).to.include({
      tls: true,
      auth: true,
    });
    expectOk(await https({ headers: { authorization: `Bearer ${TOKEN}` } }));
    expectUnauthorized(await https());
  });

  it('keeps the probes open over HTTPS', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const outcome = await https({ path, body: undefined });
      expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(200);
    }
  });

  it('does not speak plain HTTP on its port', async () => {
    const outcome = await call({
      port: webhook.port,
      path: SYNC,
      body: BODY,
      agent: false,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(
      outcome.kind === 'response' && outcome.status === 200,
      describeOutcome(outcome),
    ).to.equal(false);
  });

  it('is refused by a client that does not trust its certificate', async () => {
    const outcome = await https({
      https: { ca: undefined },
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(outcome.kind, describeOutcome(outcome)).to.equal('error');
    expect(outcome.kind === 'error' && outcome.code).to.match(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });
});

describe('hostile: HTTPS connections that never finish their handshake', function () {
  this.timeout(60_000);
  const DEADLINE_MS = 1_000;
  let dir: string;
  let webhook: WebhookProcess;

  before(async function () {
    if (!hasOpenssl()) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'pylambda-handshake-'));
    const certificate = selfSignedCertificate(dir);
    webhook = await startWebhook({
      PYLAMBDA_TLS_CERT_FILE: certificate.certFile,
      PYLAMBDA_TLS_KEY_FILE: certificate.keyFile,
      PYLAMBDA_BODY_READ_TIMEOUT_MS: String(DEADLINE_MS),
      PYLAMBDA_SHUTDOWN_TIMEOUT_SECONDS: '30',
    });
  });

  after(async () => {
    await webhook?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Milliseconds until the server closes a socket that sent `bytes` and then nothing. */
  function closedAfter(bytes: Buffer, patienceMs: number): Promise<number | 'still open'> {
    return new Promise((resolveClosed) => {
      const started = Date.now();
      const socket = connect(webhook.port, '127.0.0.1', () => socket.write(bytes));
      const timer = setTimeout(() => {
        socket.destroy();
        resolveClosed('still open');
      }, patienceMs);
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolveClosed(Date.now() - started);
      });
    });
  }

  // A TLS record header announcing a ClientHello whose body never comes.
  const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);

  it('closes a silent socket, or one stalled in its ClientHello, at the header deadline', async () => {
    // Node's own default would hold them two minutes; 15 s is far past the deadline's 1 s.
    for (const bytes of [Buffer.alloc(0), PARTIAL_CLIENT_HELLO]) {
      const closed = await closedAfter(bytes, 15_000);
      expect(closed, `after ${bytes.length} bytes`).to.not.equal('still open');
    }
  });

  it('does not hold a shutdown: SIGTERM with a handshake pending exits 0', async () => {
    const pending = connect(webhook.port, '127.0.0.1', () => pending.write(PARTIAL_CLIENT_HELLO));
    pending.on('error', () => {});
    await new Promise((resolveConnected) => pending.once('connect', resolveConnected));
    const signalled = Date.now();
    webhook.child.kill('SIGTERM');
    const exit = await webhook.exited;
    pending.destroy();
    expect(exit.code, webhook.stderr()).to.equal(0);
    // Well before PYLAMBDA_SHUTDOWN_TIMEOUT_SECONDS (30 s), which would exit 1 with a warning.
    expect(exit.at - signalled).to.be.below(15_000);
    expect(webhook.logs.map((l) => l.msg)).to.not.include(
      'in-flight calls still running at the shutdown timeout; exiting',
    );
  });
});

describe('hostile: auth and TLS settings that cannot work stop the service at start', function () {
  this.timeout(30_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pylambda-config-'));
    writeFileSync(join(dir, 'empty'), '\n');
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'a certificate without its key',
      { PYLAMBDA_TLS_CERT_FILE: '/dev/null' },
      /must be set together/,
    ],
    ['an empty token file', { PYLAMBDA_AUTH_TOKEN_FILE: 'EMPTY' }, /is empty/],
    [
      'a token file that does not exist',
      { PYLAMBDA_AUTH_TOKEN_FILE: '/nonexistent/token' },
      /ENOENT/,
    ],
  ];
  for (const [what, env, message] of cases) {
    it(`exits 2 with a fatal log line for ${what}`, async () => {
      const resolved = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, v === 'EMPTY' ? join(dir, 'empty') : v]),
      );
      const started = startWebhook(resolved, 10_000);
      const error = await started.then(
        async (w) => {
          await w.kill();
          return undefined;
        },
        (err: Error) => err,
      );
      expect(error?.message).to.match(/exited \(2\)/);
      expect(error?.message).to.match(message);
    });
  }
});
