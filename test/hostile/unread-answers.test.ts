// Clients that send a call and never read its answer. Each answer waiting for its client holds
// an in-flight slot (so PYLAMBDA_MAX_INFLIGHT bounds the memory such answers take) until it is
// written or PYLAMBDA_WRITE_TIMEOUT_MS passes; then its connection is destroyed and the slot is
// free again. Without the deadline, 64 such clients held 64 answers of 4 MiB (626 MiB resident).
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { call, describeOutcome } from './support/client.js';
import { metricValue } from './support/memory.js';
import { SYNC, syncRequest } from './support/requests.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

const MAX_INFLIGHT = 4;
const WRITE_TIMEOUT_MS = 1_500;
// Beyond what the kernel buffers for a connection that reads nothing (about 4 MiB on the
// sending side and the receiver's initial window), so the answer really waits for its reader.
const ANSWER_BYTES = 12 * 1024 * 1024;

/** A sync call whose answer is about ANSWER_BYTES: an invalid spec keeps (echoes) the children. */
function bigAnswerRequest(i: number): Buffer {
  const request = JSON.parse(syncRequest(i)) as {
    parent: { metadata: { uid: string }; spec: Record<string, unknown> };
    children: Record<string, Record<string, unknown>>;
  };
  request.parent.spec.replicas = 'many';
  request.children['ConfigMap.v1'] = {
    big: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'big',
        namespace: 'load',
        ownerReferences: [
          {
            apiVersion: 'pylambda.dev/v1alpha1',
            kind: 'PythonLambda',
            name: `lambda-${i}`,
            uid: request.parent.metadata.uid,
            controller: true,
          },
        ],
      },
      data: { 'main.py': 'x'.repeat(ANSWER_BYTES) },
    },
  };
  return Buffer.from(JSON.stringify(request));
}

interface Unread {
  socket: Socket;
  closed: Promise<void>;
}

/** Sends the call, then reads nothing (the socket stays paused). */
function sendAndNeverRead(port: number, body: Buffer): Unread {
  const socket = connect({ host: '127.0.0.1', port });
  socket.pause();
  socket.on('error', () => {});
  socket.write(
    `POST ${SYNC} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`,
  );
  socket.write(body);
  return {
    socket,
    closed: new Promise((resolve) => socket.on('close', () => resolve())),
  };
}

describe('hostile: clients that never read their answer', function () {
  this.timeout(30_000);
  let webhook: WebhookProcess;
  let unread: Unread[] = [];

  before(async () => {
    webhook = await startWebhook({
      PYLAMBDA_MAX_INFLIGHT: String(MAX_INFLIGHT),
      PYLAMBDA_WRITE_TIMEOUT_MS: String(WRITE_TIMEOUT_MS),
      PYLAMBDA_RESPONSE_CACHE_BYTES: '0',
      PYLAMBDA_BODY_LIMIT_BYTES: String(16 * 1024 * 1024),
    });
  });

  after(async () => {
    for (const u of unread) u.socket.destroy();
    await webhook?.kill();
  });

  it('holds a slot per unread answer until the write deadline, then closes those connections', async () => {
    const started = Date.now();
    unread = Array.from({ length: MAX_INFLIGHT }, (_, i) =>
      sendAndNeverRead(webhook.port, bigAnswerRequest(i)),
    );
    // Every answer is computed and waiting for its reader: the slots are taken.
    let inflight = 0;
    for (let i = 0; i < 40 && inflight < MAX_INFLIGHT; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      inflight = await metricValue(webhook.port, 'pylambda_hook_inflight');
    }
    expect(inflight).to.equal(MAX_INFLIGHT);
    const refused = await call({
      port: webhook.port,
      path: SYNC,
      body: syncRequest(9),
      agent: false,
    });
    expect(refused.kind === 'response' && refused.status, describeOutcome(refused)).to.equal(429);

    // The server ends each wait at the deadline (a paused client does not see it until it reads).
    for (let i = 0; i < 100 && inflight > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      inflight = await metricValue(webhook.port, 'pylambda_hook_inflight');
    }
    expect(inflight).to.equal(0);
    expect(Date.now() - started).to.be.at.least(WRITE_TIMEOUT_MS);
    // Reading now, each client gets part of its answer and then the end of the connection.
    const received = await Promise.all(
      unread.map(
        (u) =>
          new Promise<number>((resolve) => {
            let bytes = 0;
            u.socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
            u.socket.resume();
            void u.closed.then(() => resolve(bytes));
          }),
      ),
    );
    for (const bytes of received) expect(bytes).to.be.below(ANSWER_BYTES);
    const served = await call({
      port: webhook.port,
      path: SYNC,
      body: syncRequest(10),
      agent: false,
    });
    expect(served.kind === 'response' && served.status, describeOutcome(served)).to.equal(200);
    expect(webhook.logs.some((l) => String(l.msg).includes('PYLAMBDA_WRITE_TIMEOUT_MS'))).to.equal(
      true,
    );
  });

  it('frees the slots of pipelined calls queued behind an unread answer when the connection goes', async () => {
    // One connection: a call with a big answer, then calls sent after it without waiting
    // (pipelined). Node runs them all at once and queues their answers behind the first; when
    // the deadline destroys the connection, the queued answers never emit 'close'.
    const socket = connect({ host: '127.0.0.1', port: webhook.port });
    socket.pause();
    socket.on('error', () => {});
    const head = (body: Buffer) =>
      `POST ${SYNC} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`;
    const big = bigAnswerRequest(20);
    socket.write(head(big));
    socket.write(big);
    for (let i = 0; i < MAX_INFLIGHT - 1; i += 1) {
      const small = Buffer.from(syncRequest(21 + i));
      socket.write(head(small));
      socket.write(small);
    }
    let inflight = 0;
    for (let i = 0; i < 40 && inflight < 2; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      inflight = await metricValue(webhook.port, 'pylambda_hook_inflight');
    }
    expect(inflight, 'pipelined calls queued behind the unread answer').to.be.at.least(2);
    // The server destroys the connection at the write deadline (the paused client cannot tell).
    for (let i = 0; i < 80 && inflight > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      inflight = await metricValue(webhook.port, 'pylambda_hook_inflight');
    }
    expect(inflight, 'slots still held once the connection is gone').to.equal(0);
    const served = await Promise.all(
      Array.from({ length: MAX_INFLIGHT }, (_, i) =>
        call({ port: webhook.port, path: SYNC, body: syncRequest(30 + i), agent: false }),
      ),
    );
    for (const outcome of served) {
      expect(outcome.kind === 'response' && outcome.status, describeOutcome(outcome)).to.equal(200);
    }
    socket.destroy();
  });
});
