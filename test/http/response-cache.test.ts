// The response cache through the whole app: a repeated request (a Metacontroller resync of an
// unchanged object) gets the same bytes and ETag without running the hook again, a changed one
// runs it, 304 still works, the byte bound evicts least recently used answers, 0 turns the
// cache off, and invalid requests are refused every time.
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { ENTRY_OVERHEAD_BYTES } from '../../src/http/response-cache.js';
import { pino } from 'pino';
import request from 'supertest';
import { configFromEnv } from '../../src/config.js';
import { createMetrics, type Metrics } from '../../src/telemetry/metrics.js';
import { postHook, testApp } from '../fixtures/app.js';
import { helloSpec } from '../fixtures/lambda.js';
import {
  compositeRequest,
  pythonLambda,
  requestBody,
  SYNC_PATH,
} from '../fixtures/metacontroller.js';
import { observeChildren } from '../fixtures/observed.js';
import type { CompositeResponse } from '../../src/hooks/composite-types.js';
import { UNREADY_GRACE_SECONDS } from '../../src/status/pod-problems.js';

function requestFor(name: string, code = 'def handler(event, context):\n    return 1\n') {
  return compositeRequest({ parent: pythonLambda({ name, spec: { code } }) });
}

function setup(env: Record<string, string> = {}) {
  const metrics: Metrics = createMetrics({ defaultMetrics: false });
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const app = testApp({ config: configFromEnv(env), metrics, logger });
  const hits = async () =>
    (await metrics.cacheHits.get()).values.reduce((sum, v) => sum + v.value, 0);
  return { app, lines, hits };
}

describe('response cache (HTTP)', () => {
  it('answers a repeated request with the same bytes and ETag, logged and counted as a hit', async () => {
    const { app, lines, hits } = setup();
    const first = await postHook(app, SYNC_PATH, requestFor('hello'));
    const second = await postHook(app, SYNC_PATH, requestFor('hello'));
    expect(first.status).to.equal(200);
    expect(second.status).to.equal(200);
    expect(second.text).to.equal(first.text);
    expect(second.headers.etag).to.equal(first.headers.etag);
    expect(second.headers['content-type']).to.equal(first.headers['content-type']);
    expect(await hits()).to.equal(1);
    const [miss, hit] = lines.filter((l) => l.msg === 'hook call');
    expect(miss).to.not.have.property('cache');
    expect(hit).to.include({ cache: 'hit', status: 200, reason: 'ok', name: 'hello' });
  });

  it('runs the hook again for a changed request', async () => {
    const { app, hits } = setup();
    const first = await postHook(app, SYNC_PATH, requestFor('hello'));
    const changed = await postHook(
      app,
      SYNC_PATH,
      requestFor('hello', 'def handler(event, context):\n    return 2\n'),
    );
    expect(changed.status).to.equal(200);
    expect(changed.headers.etag).to.not.equal(first.headers.etag);
    expect(await hits()).to.equal(0);
  });

  it('answers 304 on a hit whose If-None-Match names the ETag', async () => {
    const { app, hits } = setup();
    const first = await postHook(app, SYNC_PATH, requestFor('hello'));
    const again = await postHook(app, SYNC_PATH, requestFor('hello')).set(
      'If-None-Match',
      first.headers.etag as string,
    );
    expect(again.status).to.equal(304);
    expect(again.text).to.equal('');
    expect(again.headers.etag).to.equal(first.headers.etag);
    expect(await hits()).to.equal(1);
  });

  it('evicts the least recently used answer past the byte bound', async () => {
    const probe = await postHook(setup().app, SYNC_PATH, requestFor('aaaaa'));
    // Room for one answer (plus its entry overhead, key and ETag), not two.
    const { app, hits } = setup({
      PYLAMBDA_RESPONSE_CACHE_BYTES: String(
        Buffer.byteLength(probe.text) + ENTRY_OVERHEAD_BYTES + 200,
      ),
    });
    await postHook(app, SYNC_PATH, requestFor('aaaaa'));
    await postHook(app, SYNC_PATH, requestFor('bbbbb')); // evicts aaaaa
    await postHook(app, SYNC_PATH, requestFor('bbbbb'));
    expect(await hits()).to.equal(1);
    await postHook(app, SYNC_PATH, requestFor('aaaaa'));
    expect(await hits()).to.equal(1);
  });

  it('is off with PYLAMBDA_RESPONSE_CACHE_BYTES=0', async () => {
    const { app, hits } = setup({ PYLAMBDA_RESPONSE_CACHE_BYTES: '0' });
    const first = await postHook(app, SYNC_PATH, requestFor('hello'));
    const second = await postHook(app, SYNC_PATH, requestFor('hello'));
    expect(second.text).to.equal(first.text);
    expect(await hits()).to.equal(0);
  });

  it('never caches an invalid request: it is refused 400 every time', async () => {
    const { app, hits, lines } = setup();
    const invalid = JSON.stringify({ ...requestFor('hello'), parent: { kind: 'PythonLambda' } });
    for (let i = 0; i < 3; i++) {
      const res = await postHook(app, SYNC_PATH, invalid);
      expect(res.status).to.equal(400);
    }
    expect(await hits()).to.equal(0);
    expect(lines.filter((l) => l.msg === 'hook call').every((l) => !('cache' in l))).to.equal(true);
  });

  it('keys on the decoded bytes: a gzip body hits the answer its plain bytes got', async () => {
    const { app, hits } = setup();
    const body = requestBody(requestFor('hello'));
    const plain = await postHook(app, SYNC_PATH, body);
    const zipped = await request(app.callback())
      .post(SYNC_PATH)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      // As bytes: superagent would otherwise serialize a Buffer as JSON.
      .serialize((bytes: Buffer) => bytes as unknown as string)
      .send(gzipSync(body));
    expect(zipped.status, zipped.text).to.equal(200);
    expect(zipped.text).to.equal(plain.text);
    expect(await hits()).to.equal(1);
  });

  it('refuses broken JSON every time, counted and logged with its reason', async () => {
    const { app, lines } = setup();
    for (let i = 0; i < 2; i++) {
      const res = await postHook(app, SYNC_PATH, '{"parent": ');
      expect(res.status).to.equal(400);
      expect(res.body.error).to.match(/^request body is not valid JSON: /);
    }
    const calls = lines.filter((l) => l.msg === 'hook call');
    expect(calls.map((l) => [l.status, l.reason, 'cache' in l])).to.deep.equal([
      [400, 'invalid-json', false],
      [400, 'invalid-json', false],
    ]);
  });

  it('does not answer again from the cache what the clock alone changes (a pod past its grace)', async () => {
    // A rolling lambda whose one pod of the current code runs unready, started 25 s ago.
    let clockMs = Date.parse('2026-12-03T12:00:00Z');
    const metrics = createMetrics({ defaultMetrics: false });
    const app = testApp({ metrics, now: () => new Date(clockMs) });
    const spec = { spec: helloSpec() };
    const first = (await postHook(app, SYNC_PATH, compositeRequest({ parent: pythonLambda(spec) })))
      .body as CompositeResponse;
    const parent = pythonLambda({ ...spec, status: { ...first.status, observedGeneration: 1 } });
    const deployment = first.children.find((c) => c.kind === 'Deployment')!;
    const template = (deployment.spec as { template: { metadata: { annotations: object } } })
      .template.metadata.annotations as Record<string, string>;
    const rolling = compositeRequest({
      parent,
      children: observeChildren(first.children, parent, { deployment: 'rolling' }),
    });
    rolling.related = {
      'Pod.v1': {
        'demo/hello-abc': {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'hello-abc',
            namespace: 'demo',
            creationTimestamp: '2026-12-03T11:59:30Z',
            annotations: { 'pylambda.dev/template-hash': template['pylambda.dev/template-hash']! },
          },
          status: {
            containerStatuses: [
              {
                name: 'lambda',
                image: 'python:3.14-slim',
                imageID: '',
                restartCount: 0,
                ready: false,
                state: { running: { startedAt: new Date(clockMs - 25_000).toISOString() } },
              },
            ],
          },
        },
      },
    };
    const body = requestBody(rolling);
    const message = async () => {
      const answer = (await postHook(app, SYNC_PATH, body)).body as CompositeResponse;
      return answer.status.conditions!.find((c) => c.type === 'Ready')!.message;
    };
    expect(await message()).to.not.include('without turning ready');
    clockMs += (UNREADY_GRACE_SECONDS - 25 + 1) * 1000;
    expect(await message()).to.include(
      `pod hello-abc: the runtime has run ${UNREADY_GRACE_SECONDS}s or more without turning ready`,
    );
    // Past every grace the answer is the clock's no more: the same bytes are a cache hit again.
    expect(await message()).to.include('without turning ready');
    const hits = (await metrics.cacheHits.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(hits).to.equal(1);
  });
});
