// Bodies cut short by a client that goes away: as many connections as PYLAMBDA_MAX_INFLIGHT send
// a hook call's headers and half its body, plain or gzip-compressed, then close. Each must give
// its in-flight slot back at once, not at PYLAMBDA_BODY_READ_TIMEOUT_MS: a client that repeats
// this every deadline would otherwise refuse every real call with 429 while holding no socket.
import { connect } from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { call, describeOutcome } from './support/client.js';
import { metricValue } from './support/memory.js';
import { SYNC, syncRequest } from './support/requests.js';
import { startWebhook, type WebhookProcess } from './support/webhook-process.js';

const MAX_INFLIGHT = 4;
const DEADLINE_MS = 20_000; // far beyond the test's wait: only an immediate release passes

/** Sends the headers and the first half of `body`, then closes (FIN) or resets the socket. */
function abandon(port: number, body: Buffer, encoding: string, end: 'close' | 'reset') {
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(
        `POST ${SYNC} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Encoding: ${encoding}\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      socket.write(body.subarray(0, body.length >> 1), () => {
        // Long enough for the server to take the slot and start reading.
        setTimeout(() => {
          if (end === 'reset') socket.resetAndDestroy();
          else socket.end();
          resolve();
        }, 200);
      });
    });
    socket.on('error', reject);
  });
}

async function inflightSettles(port: number): Promise<number> {
  let inflight = Infinity;
  for (let i = 0; i < 40 && inflight > 0; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    inflight = await metricValue(port, 'pylambda_hook_inflight');
  }
  return inflight;
}

describe('hostile: bodies cut short by the client (plain and gzip)', function () {
  this.timeout(30_000);
  let webhook: WebhookProcess;

  before(async () => {
    webhook = await startWebhook({
      PYLAMBDA_MAX_INFLIGHT: String(MAX_INFLIGHT),
      PYLAMBDA_BODY_READ_TIMEOUT_MS: String(DEADLINE_MS),
    });
  });

  after(async () => {
    await webhook?.kill();
  });

  // Bodies longer than PYLAMBDA_MAX_JSON_VALUES in bytes, or compressed, are counted as they
  // arrive (src/http/value-bound.ts), one more stream between the request and the reader.
  const cases = [
    { encoding: 'identity', end: 'close', codeBytes: 20_000 },
    { encoding: 'identity', end: 'reset', codeBytes: 20_000 },
    { encoding: 'identity', end: 'close', codeBytes: 600_000 },
    { encoding: 'identity', end: 'reset', codeBytes: 600_000 },
    { encoding: 'gzip', end: 'close', codeBytes: 20_000 },
    { encoding: 'gzip', end: 'reset', codeBytes: 20_000 },
    { encoding: 'deflate', end: 'close', codeBytes: 20_000 },
  ] as const;
  for (const { encoding, end, codeBytes } of cases) {
    it(`gives the slots back at once when ${encoding} bodies of ${codeBytes} bytes of code end in a ${end}`, async () => {
      const plain = Buffer.from(syncRequest(1, codeBytes));
      const encode = { identity: (b: Buffer) => b, gzip: gzipSync, deflate: deflateSync }[encoding];
      const body = encode(plain);
      await Promise.all(
        Array.from({ length: MAX_INFLIGHT }, () => abandon(webhook.port, body, encoding, end)),
      );
      expect(await inflightSettles(webhook.port)).to.equal(0);
      const reply = await call({
        port: webhook.port,
        path: SYNC,
        body: syncRequest(2),
        agent: false,
      });
      expect(reply.kind === 'response' && reply.status, describeOutcome(reply)).to.equal(200);
    });
  }
});
