// readJsonBody puts streams between the request and raw-body (a decompressor, the value bound).
// raw-body stops listening to them once it refuses a body; the request may close after that,
// unfinished (the client reset the connection, or a pipelined call's socket was destroyed). No
// stream of the read may fail then with no one listening: an 'error' event without a listener
// ends the process (mocha reports it as this test failing).
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { Context } from 'koa';
import { readJsonBody } from '../../../src/http/json-body.js';

const LIMIT = 4 * 1024 * 1024;

/** The parts of a Koa context readJsonBody uses, over a request the test feeds by hand. */
function fakeContext(headers: Record<string, string>) {
  const req = Object.assign(new Readable({ read() {} }), { complete: false, headers });
  const ctx = {
    req,
    res: { writeContinue() {} },
    get: (name: string) => headers[name.toLowerCase()] ?? '',
    is: () => 'application/json',
    set() {},
  };
  return { ctx: ctx as unknown as Context, req };
}

async function refusedThenClosed(headers: Record<string, string>, body: Buffer[]) {
  const read = readJsonBody({ limitBytes: LIMIT, timeoutMs: 5_000, maxValues: 200_000 });
  const { ctx, req } = fakeContext(headers);
  for (const chunk of body) req.push(chunk);
  let status: number | undefined;
  await read(ctx, async () => {}).catch((err: { status?: number }) => (status = err.status));
  req.emit('close');
  await new Promise((resolve) => setTimeout(resolve, 50));
  return status;
}

describe('readJsonBody after a refusal', () => {
  it('survives the request closing, unfinished, after a body declared past the limit', async () => {
    expect(await refusedThenClosed({ 'content-length': String(LIMIT + 1) }, [])).to.equal(413);
  });

  it('survives it after a chunked body past the limit', async () => {
    const chunks = Array.from({ length: 5 }, () => Buffer.alloc(1024 * 1024, 0x20));
    expect(await refusedThenClosed({}, chunks)).to.equal(413);
  });

  it('survives it after a gzip body that inflates past the limit', async () => {
    const gzip = gzipSync(Buffer.alloc(LIMIT + 1024, 0x20));
    const cut = gzip.subarray(0, gzip.length - 10);
    expect(await refusedThenClosed({ 'content-encoding': 'gzip' }, [cut])).to.equal(413);
  });
});
