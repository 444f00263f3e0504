// Stalled bodies: as many connections as PYLAMBDA_MAX_INFLIGHT send a hook call's headers and `{`,
// then nothing. Each holds an in-flight slot only until PYLAMBDA_BODY_READ_TIMEOUT_MS: then it
// gets 408 with Connection: close and its socket is closed, and real calls get in again.
import { connect, type Socket } from 'node:net';
import { expect } from 'chai';
import { call, describeOutcome } from './support/client.js';
import { SYNC, syncRequest } from './support/requests.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

const MAX_INFLIGHT = 4;
const DEADLINE_MS = 1_000;

interface Stalled {
  socket: Socket;
  /** Everything the server sent, and when its side closed (Date.now()), once it has. */
  received: () => string;
  closedAt: Promise<number>;
}

function stall(port: number): Promise<Stalled> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(
        `POST ${SYNC} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          'Content-Length: 1000\r\n\r\n{',
      );
      resolve({ socket, received: () => received, closedAt });
    });
    const closedAt = new Promise<number>((resolveClose) =>
      socket.on('close', () => resolveClose(Date.now())),
    );
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', reject);
  });
}

describe('hostile: stalled bodies (headers and `{`, then nothing)', function () {
  this.timeout(30_000);
  let webhook: WebhookProcess;
  let stalled: Stalled[] = [];

  before(async () => {
    webhook = await startWebhook({
      PYLAMBDA_MAX_INFLIGHT: String(MAX_INFLIGHT),
      PYLAMBDA_BODY_READ_TIMEOUT_MS: String(DEADLINE_MS),
    });
  });

  after(async () => {
    for (const s of stalled) s.socket.destroy();
    stalled = [];
    await webhook?.kill();
  });

  it('frees every slot at the deadline: real calls succeed, the stalled get 408 and are closed', async () => {
    const body = syncRequest(1);
    const started = Date.now();
    stalled = await Promise.all(Array.from({ length: MAX_INFLIGHT }, () => stall(webhook.port)));
    // Give the server time to take the slots: then a real call is refused.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await call({ port: webhook.port, path: SYNC, body, agent: false });
    expect(refused.kind === 'response' && refused.status, describeOutcome(refused)).to.equal(429);

    // Then, within the deadline and a little, a real call gets in (at most 40 tries).
    let answeredAt: number | undefined;
    for (let i = 0; i < 40 && answeredAt === undefined; i += 1) {
      const reply = await call({ port: webhook.port, path: SYNC, body, agent: false });
      if (reply.kind === 'response' && reply.status === 200) answeredAt = reply.endedAt;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(answeredAt, 'a real call answered 200').to.not.equal(undefined);
    expect(answeredAt! - started).to.be.below(DEADLINE_MS + 1_500);

    const closed = await Promise.race([
      Promise.all(stalled.map((s) => s.closedAt)),
      new Promise<undefined>((resolve) => setTimeout(resolve, 3_000)),
    ]);
    expect(closed, 'every stalled connection closed by the server').to.not.equal(undefined);
    for (const s of stalled) {
      const text = s.received();
      expect(text).to.match(/^HTTP\/1\.1 408 /);
      expect(text).to.match(/\r\nconnection: close\r\n/i);
      expect(text).to.include('PYLAMBDA_BODY_READ_TIMEOUT_MS');
    }
  });

  it('still answers a body sent in pieces within the deadline', async () => {
    const reply = await call({
      port: webhook.port,
      path: SYNC,
      body: syncRequest(2),
      agent: false,
      chunks: 4,
      chunkDelayMs: 100,
    });
    expect(reply.kind === 'response' && reply.status, describeOutcome(reply)).to.equal(200);
  });
});
