// A real webhook process under PYLAMBDA_MAX_CONNECTIONS: never more connections open than the
// bound, however many a client opens; a call past the bound takes the place of the connection
// that has waited longest for a request (silent, stalled in its headers, idle after a call, or in
// its TLS handshake) once it has waited a second; connections with a call in progress are never
// closed for another.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { expect } from 'chai';
import { call, describeOutcome, type Outcome } from './support/client.js';
import { rawClient, type RawClient } from './support/raw-client.js';
import { SYNC, syncRequest } from './support/requests.js';
import { hasOpenssl, selfSignedCertificate, type TestCertificate } from './support/tls.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

const MAX = 6;
const DEADLINE_MS = 3_000;
/** Past the webhook's one second, on a loaded machine too. */
const WAITED_LONG_ENOUGH_MS = 1_300;
const STALLED_HEAD = `POST ${SYNC} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`;

const status = (outcome: Outcome) =>
  outcome.kind === 'response' ? outcome.status : describeOutcome(outcome);

/** Lets the server act on what it just accepted before the test looks. */
const settle = () => sleep(150);

async function metric(port: number, name: string): Promise<number> {
  const reply = await call({ port, path: '/metrics', method: 'GET', agent: false });
  if (reply.kind !== 'response') throw new Error(describeOutcome(reply));
  const line = reply.text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describe('hostile: the connection bound (PYLAMBDA_MAX_CONNECTIONS)', function () {
  this.timeout(60_000);
  let webhook: WebhookProcess;
  let clients: RawClient[] = [];

  const open = async (count: number, first = '') => {
    const opened: RawClient[] = [];
    for (let i = 0; i < count; i++) opened.push(await rawClient(webhook.port, first));
    clients.push(...opened);
    await settle();
    return opened;
  };
  const openOnes = (of: RawClient[]) => of.filter((c) => !c.closed());

  before(async () => {
    webhook = await startWebhook({
      PYLAMBDA_MAX_CONNECTIONS: String(MAX),
      PYLAMBDA_MAX_INFLIGHT: '16',
      PYLAMBDA_BODY_READ_TIMEOUT_MS: String(DEADLINE_MS),
    });
  });

  afterEach(async () => {
    for (const client of clients) client.socket.destroy();
    clients = [];
    await settle();
  });

  after(async () => {
    await webhook?.kill();
  });

  it('closes at once every connection past the bound while none has waited a second', async () => {
    const opened = await open(MAX + 10);
    expect(openOnes(opened)).to.have.length(MAX);
    // The first MAX were kept: a newcomer never displaces a connection younger than a second.
    expect(openOnes(opened)).to.deep.equal(opened.slice(0, MAX));
    expect(
      status(await call({ port: webhook.port, path: SYNC, body: syncRequest(1), agent: false })),
    ).to.not.equal(200);
  });

  it('lets a call past the bound replace the connection silent longest, once it waited a second', async () => {
    const opened = await open(MAX);
    await sleep(WAITED_LONG_ENOUGH_MS);
    const reply = await call({
      port: webhook.port,
      path: SYNC,
      body: syncRequest(2),
      agent: false,
    });
    expect(status(reply)).to.equal(200);
    await settle();
    expect(opened.map((c) => c.closed())).to.deep.equal([true, ...Array(MAX - 1).fill(false)]);
  });

  it('replaces connections stalled in their headers and idle after a call, longest-waiting first', async () => {
    const idle = await open(1);
    idle[0]!.socket.write(
      `POST ${SYNC} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(syncRequest(3))}\r\n\r\n${syncRequest(3)}`,
    );
    await sleep(300);
    expect(idle[0]!.received()).to.match(/^HTTP\/1\.1 200/);
    const slowHeaders = await open(MAX - 1, `POST ${SYNC} HTTP/1.1\r\nHost: x\r\n`);
    await sleep(WAITED_LONG_ENOUGH_MS);
    // The idle one started waiting (its call ended) before the others connected.
    expect(
      status(await call({ port: webhook.port, path: '/healthz', method: 'GET', agent: false })),
    ).to.equal(200);
    await settle();
    expect(idle[0]!.closed()).to.equal(true);
    expect(openOnes(slowHeaders)).to.have.length(MAX - 1);
    // Full again, with one that has not waited a second: the next goes in place of the oldest.
    const fresh = await open(1);
    expect(
      status(await call({ port: webhook.port, path: '/healthz', method: 'GET', agent: false })),
    ).to.equal(200);
    await settle();
    expect(openOnes(slowHeaders)).to.deep.equal(slowHeaders.slice(1));
    expect(fresh[0]!.closed()).to.equal(false);
  });

  it('never closes a connection whose call is in progress, and takes new ones once those end', async () => {
    const busy = await open(MAX, STALLED_HEAD);
    await sleep(WAITED_LONG_ENOUGH_MS);
    const refused = await call({
      port: webhook.port,
      path: SYNC,
      body: syncRequest(4),
      agent: false,
    });
    expect(refused.kind, describeOutcome(refused)).to.equal('error');
    expect(openOnes(busy)).to.have.length(MAX);
    // Their bodies' deadline ends the calls (408) and frees the room.
    await Promise.all(busy.map((c) => c.closedAt));
    expect(busy.every((c) => /^HTTP\/1\.1 408/.test(c.received()))).to.equal(true);
    // The client may see a close before the server has counted it: allow it a moment.
    let reply = await call({ port: webhook.port, path: SYNC, body: syncRequest(5), agent: false });
    for (let tries = 0; tries < 10 && reply.kind === 'error'; tries++) {
      await sleep(100);
      reply = await call({ port: webhook.port, path: SYNC, body: syncRequest(5), agent: false });
    }
    expect(status(reply)).to.equal(200);
  });

  it('counts what it refused and replaced, and warns once a minute, not once a connection', async () => {
    const open = await metric(webhook.port, 'pylambda_open_connections');
    expect(open).to.equal(1); // this scrape's own
    expect(await metric(webhook.port, 'pylambda_refused_connections_total')).to.be.at.least(11);
    expect(await metric(webhook.port, 'pylambda_replaced_connections_total')).to.be.at.least(3);
    const warnings = webhook.logs.filter((l) => /PYLAMBDA_MAX_CONNECTIONS/.test(String(l.msg)));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ level: 40, maxConnections: MAX });
  });
});

describe('hostile: the connection bound over HTTPS (TLS handshakes count)', function () {
  this.timeout(60_000);
  let dir: string;
  let certificate: TestCertificate;
  let webhook: WebhookProcess;
  const sockets: { destroy: () => void }[] = [];

  before(async function () {
    if (!hasOpenssl()) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'pylambda-bound-tls-'));
    certificate = selfSignedCertificate(dir);
    webhook = await startWebhook({
      PYLAMBDA_MAX_CONNECTIONS: String(MAX),
      PYLAMBDA_BODY_READ_TIMEOUT_MS: String(DEADLINE_MS),
      PYLAMBDA_TLS_CERT_FILE: certificate.certFile,
      PYLAMBDA_TLS_KEY_FILE: certificate.keyFile,
    });
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await settle();
  });

  after(async () => {
    await webhook?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const https = (body: string) =>
    call({
      port: webhook.port,
      path: SYNC,
      body,
      agent: false,
      https: { ca: certificate.cert },
    });

  /** A TLS connection that sends a call's headers and the first byte of its body. */
  const stalledCall = () =>
    new Promise<TLSSocket>((resolve, reject) => {
      const socket = tlsConnect(
        { host: '127.0.0.1', port: webhook.port, ca: certificate.cert, servername: 'localhost' },
        () => {
          socket.write(STALLED_HEAD);
          resolve(socket);
        },
      );
      socket.on('error', () => {});
      socket.once('error', reject);
      sockets.push(socket);
    });

  it('counts handshakes that never finish, and replaces the oldest once it waited a second', async () => {
    const silent: RawClient[] = [];
    for (let i = 0; i < MAX; i++) silent.push(await rawClient(webhook.port));
    sockets.push(...silent.map((c) => c.socket));
    await settle();
    expect((await https(syncRequest(6))).kind).to.equal('error');
    await sleep(WAITED_LONG_ENOUGH_MS);
    expect(status(await https(syncRequest(7)))).to.equal(200);
    await settle();
    expect(silent.map((c) => c.closed())).to.deep.equal([true, ...Array(MAX - 1).fill(false)]);
  });

  it('never closes a TLS connection whose call is in progress', async () => {
    const busy: TLSSocket[] = [];
    for (let i = 0; i < MAX; i++) busy.push(await stalledCall());
    await sleep(WAITED_LONG_ENOUGH_MS);
    expect((await https(syncRequest(8))).kind).to.equal('error');
    expect(busy.filter((s) => s.destroyed || s.readyState !== 'open')).to.have.length(0);
  });
});
