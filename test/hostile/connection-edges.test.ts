// A real webhook process against clients at the edges of HTTP: refused calls under paths the
// client spells (the router matches case-insensitively) must not mint metric series; a header
// deadline fires near its setting, not at Node's 30 s check; a shutdown does not wait for
// connections that never sent a request; `Expect: 100-continue` invites only a body that may be read.
import { expect } from 'chai';
import { call, describeOutcome } from './support/client.js';
import { SYNC, syncRequest } from './support/requests.js';
import { rawClient, type RawClient } from './support/raw-client.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

const DEADLINE_MS = 1_000;
const BODY_LIMIT = 64 * 1024;

/** The JSON body of a raw HTTP answer. */
function answerBody(raw: string): unknown {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  return JSON.parse(Buffer.from(body, 'latin1').toString('utf8')) as unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('hostile: connection edges (metric labels, header deadline, shutdown, 100-continue)', function () {
  this.timeout(60_000);
  let webhook: WebhookProcess;
  const clients: RawClient[] = [];

  before(async () => {
    webhook = await startWebhook({
      PYLAMBDA_MAX_INFLIGHT: '1',
      PYLAMBDA_BODY_READ_TIMEOUT_MS: String(DEADLINE_MS),
      PYLAMBDA_BODY_LIMIT_BYTES: String(BODY_LIMIT),
      PYLAMBDA_SHUTDOWN_TIMEOUT_SECONDS: '20',
    });
  });

  after(async () => {
    for (const client of clients) client.socket.destroy();
    await webhook?.kill();
  });

  it('counts refused calls under the hook, whatever path spelling the client sends', async () => {
    // A body that stalls holds the one in-flight slot for DEADLINE_MS.
    const holder = await rawClient(
      webhook.port,
      `POST ${SYNC} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
    );
    clients.push(holder);
    await sleep(100);
    const spellings = Array.from(
      { length: 40 },
      (_, i) =>
        [...SYNC].map((c, j) => ((i >> (j % 10)) & 1 ? c.toUpperCase() : c)).join('') +
        (i % 2 ? '/' : ''),
    );
    const statuses = [];
    for (const path of spellings) {
      const reply = await call({ port: webhook.port, path, body: syncRequest(1), agent: false });
      statuses.push(reply.kind === 'response' ? reply.status : describeOutcome(reply));
    }
    expect(new Set(statuses)).to.deep.equal(new Set([429]));
    const metrics = await call({
      port: webhook.port,
      path: '/metrics',
      method: 'GET',
      agent: false,
    });
    const series = (metrics.kind === 'response' ? metrics.text : '')
      .split('\n')
      .filter(
        (line) => line.startsWith('pylambda_hook_errors_total{') && line.includes('overloaded'),
      );
    expect(series).to.have.length(1);
    expect(series[0]).to.contain('hook="pythonlambda/sync"');
    await holder.closedAt;
  });

  it('answers headers that stall, and a connection that says nothing, near the deadline', async () => {
    const started = Date.now();
    const partial = await rawClient(webhook.port, `POST ${SYNC} HTTP/1.1\r\nHost: x\r\n`);
    const silent = await rawClient(webhook.port);
    clients.push(partial, silent);
    const [partialAt, silentAt] = await Promise.all([partial.closedAt, silent.closedAt]);
    // The deadline plus at most one check interval (a quarter of it) and scheduling slack:
    // never Node's 30 s check.
    for (const at of [partialAt, silentAt]) expect(at - started).to.be.below(DEADLINE_MS * 3);
    expect(partial.received()).to.match(/^HTTP\/1\.1 408 /);
    expect(answerBody(partial.received()))
      .to.have.property('error')
      .that.contains('PYLAMBDA_BODY_READ_TIMEOUT_MS');
  });

  for (const [what, request, status] of [
    [
      'headers past the size limit',
      `POST ${SYNC} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
    ],
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n', 400],
    [
      'Content-Length and Transfer-Encoding together',
      `POST ${SYNC} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
    ],
    ['an HTTP/1.1 request without Host (RFC 9112 §3.2)', 'GET /healthz HTTP/1.1\r\n\r\n', 400],
    ['two Host headers', 'GET /healthz HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n', 400],
    [
      'an Expect other than 100-continue',
      `POST ${SYNC} HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}`,
      417,
    ],
  ] as const) {
    it(`answers ${what} with ${status} and a JSON error, and closes`, async () => {
      const client = await rawClient(webhook.port, request);
      clients.push(client);
      await client.closedAt;
      expect(client.received()).to.match(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(client.received()).to.match(/\r\nConnection: close\r\n/i);
      expect(answerBody(client.received())).to.have.property('error').that.is.a('string');
    });
  }

  it('serves an HTTP/1.0 request without Host, and names the header it refuses', async () => {
    const old = await rawClient(webhook.port, 'GET /healthz HTTP/1.0\r\n\r\n');
    clients.push(old);
    await old.closedAt;
    expect(old.received()).to.match(/^HTTP\/1\.1 200 /);
    const twice = await rawClient(
      webhook.port,
      'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n',
    );
    clients.push(twice);
    await twice.closedAt;
    expect(answerBody(twice.received())).to.deep.equal({
      error: '2 Host headers; a request has exactly one (RFC 9112 §3.2)',
    });
  });

  it('invites no body it will refuse, and reads one it invited', async () => {
    const tooLarge = await rawClient(
      webhook.port,
      `POST ${SYNC} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${BODY_LIMIT * 10}\r\nExpect: 100-continue\r\n\r\n`,
    );
    clients.push(tooLarge);
    await tooLarge.closedAt;
    expect(tooLarge.received()).to.match(/^HTTP\/1\.1 413 /);
    expect(tooLarge.received()).to.not.contain('100 Continue');
    expect(tooLarge.received().toLowerCase()).to.contain('connection: close');

    const body = syncRequest(2);
    const invited = await rawClient(
      webhook.port,
      `POST ${SYNC} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    clients.push(invited);
    for (let i = 0; i < 50 && !invited.received().includes('100 Continue'); i += 1) await sleep(20);
    expect(invited.received()).to.match(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    invited.socket.write(body);
    for (let i = 0; i < 100 && !/\r\n\r\n[\s\S]*\}$/.test(invited.received()); i += 1)
      await sleep(20);
    expect(invited.received()).to.match(/HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    invited.socket.destroy();
  });

  it('exits promptly on SIGTERM while connections that never sent a request are open', async () => {
    const idle = await Promise.all([rawClient(webhook.port), rawClient(webhook.port, 'POST / HT')]);
    clients.push(...idle);
    await sleep(100);
    const sent = Date.now();
    webhook.child.kill('SIGTERM');
    const exit = await webhook.exited;
    expect(exit.code).to.equal(0);
    // Well before the header deadline would close them (DEADLINE_MS after they connected).
    expect(exit.at - sent).to.be.below(DEADLINE_MS * 0.6);
  });
});
