// PYLAMBDA_MAX_JSON_VALUES is enforced as a body arrives: a client sending millions of tiny
// values is answered 413 while it is still sending (the server read only as far as the first value
// past the bound, not up to PYLAMBDA_BODY_LIMIT_BYTES), the rest of its body is dropped as it
// comes, and its keep-alive connection then serves the next call. Compressed and chunked bodies
// (no length to go by) are counted the same way, and a corrupt compressed body through the count
// is still a prompt 400. A body of a length the response cache answers is likely a resync it
// answers again unparsed: it is read whole and counted only if it misses, still refused.
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { call, describeOutcome } from './support/client.js';
import { MiB } from './support/memory.js';
import { SYNC, syncRequest } from './support/requests.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

const MAX_VALUES = 1_000;
const MANY = Buffer.from(`{"parent":{"metadata":[${'{},'.repeat(MiB)}{}]}}`);

/** Collects what the server sends on `socket`, and resolves once `done` says it holds enough. */
function readUntil(socket: Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (done(text)) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed after: ${text.slice(0, 300)}`)));
  });
}

const answered = (text: string) => {
  const head = text.indexOf('\r\n\r\n');
  if (head < 0) return false;
  const length = /content-length: (\d+)/i.exec(text.slice(0, head));
  return length !== null && text.length >= head + 4 + Number(length[1]);
};

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('hostile: too many values, refused as the body arrives', function () {
  this.timeout(30_000);
  let webhook: WebhookProcess;

  before(async () => {
    webhook = await startWebhook({ PYLAMBDA_MAX_JSON_VALUES: String(MAX_VALUES) });
  });

  after(async () => {
    await webhook?.kill();
  });

  it('answers 413 before the body is through, drops the rest, and keeps the connection', async () => {
    const socket = await open(webhook.port);
    try {
      socket.write(
        `POST ${SYNC} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${MANY.length}\r\n\r\n`,
      );
      // A tenth of the body: far past the bound, far short of its end.
      const sent = MANY.subarray(0, MANY.length / 10);
      const refusal = readUntil(socket, answered);
      socket.write(sent);
      const text = await refusal;
      expect(text).to.match(/^HTTP\/1\.1 413 /);
      expect(text).to.include(`more than ${MAX_VALUES} JSON values (PYLAMBDA_MAX_JSON_VALUES)`);
      expect(text.toLowerCase()).not.to.include('connection: close');

      // The rest of the body is read and dropped; the connection then serves the next call.
      socket.write(MANY.subarray(sent.length));
      const next = Buffer.from(syncRequest(1));
      const reply = readUntil(socket, answered);
      socket.write(
        `POST ${SYNC} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${next.length}\r\n\r\n`,
      );
      socket.write(next);
      expect(await reply).to.match(/^HTTP\/1\.1 200 /);
    } finally {
      socket.destroy();
    }
  });

  it('counts chunked bodies, which give no length to go by', async () => {
    const socket = await open(webhook.port);
    try {
      socket.write(
        `POST ${SYNC} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Transfer-Encoding: chunked\r\n\r\n`,
      );
      const refusal = readUntil(socket, answered);
      const part = MANY.subarray(0, 64 * 1024);
      socket.write(`${part.length.toString(16)}\r\n`);
      socket.write(part);
      socket.write('\r\n');
      const text = await refusal;
      expect(text).to.match(/^HTTP\/1\.1 413 /);
      expect(text).to.include('PYLAMBDA_MAX_JSON_VALUES');
    } finally {
      socket.destroy();
    }
  });

  it('counts the decompressed bytes of a gzip body', async () => {
    const reply = await call({
      port: webhook.port,
      path: SYNC,
      body: gzipSync(MANY),
      headers: { 'content-encoding': 'gzip' },
      agent: false,
    });
    expect(reply.kind === 'response' && reply.status, describeOutcome(reply)).to.equal(413);
    expect(reply.kind === 'response' && reply.text).to.include('PYLAMBDA_MAX_JSON_VALUES');
  });

  it('still answers a corrupt gzip body with a prompt 400', async () => {
    const started = Date.now();
    const reply = await call({
      port: webhook.port,
      path: SYNC,
      body: Buffer.alloc(300_000, 'x'),
      headers: { 'content-encoding': 'gzip' },
      agent: false,
    });
    expect(reply.kind === 'response' && reply.status, describeOutcome(reply)).to.equal(400);
    // Far below the body read deadline (10 s by default), which a stalled read would wait for.
    expect(Date.now() - started).to.be.below(5_000);
  });

  it('counts a body of a length the response cache answers once it is read, and refuses it too', async () => {
    // A resync of this length is cached: a body of the same length is read whole, uncounted...
    const valid = Buffer.from(syncRequest(3, 20_000));
    const first = await call({ port: webhook.port, path: SYNC, body: valid, agent: false });
    expect(first.kind === 'response' && first.status, describeOutcome(first)).to.equal(200);
    const values = `{"parent":{"metadata":[${'{},'.repeat(MAX_VALUES * 2)}{}]}}`;
    const sameLength = Buffer.from(values.padEnd(valid.length, ' '));
    expect(sameLength.length).to.equal(valid.length);
    // ...and then counted before it is parsed: the same 413.
    const reply = await call({ port: webhook.port, path: SYNC, body: sameLength, agent: false });
    expect(reply.kind === 'response' && reply.status, describeOutcome(reply)).to.equal(413);
    expect(reply.kind === 'response' && reply.text).to.include('PYLAMBDA_MAX_JSON_VALUES');
  });

  it('serves a valid body longer than the bound in bytes, counted on its way in', async () => {
    const reply = await call({
      port: webhook.port,
      path: SYNC,
      body: syncRequest(2, 200_000),
      agent: false,
    });
    expect(reply.kind === 'response' && reply.status, describeOutcome(reply)).to.equal(200);
  });
});
