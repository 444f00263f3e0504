import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import request from 'supertest';
import { configFromEnv } from '../../src/config.js';
import { postHook, testApp } from '../fixtures/app.js';
import { contractProblems } from '../fixtures/contract.js';
import { helloSpec } from '../fixtures/lambda.js';
import {
  compositeRequest,
  FINALIZE_PATH,
  pythonLambda,
  requestBody,
  SYNC_PATH,
} from '../fixtures/metacontroller.js';
import { observeChildren } from '../fixtures/observed.js';

const MiB = 1024 * 1024;

function expectJsonError(res: request.Response, status: number) {
  expect(res.status, res.text).to.equal(status);
  expect(res.headers['content-type']).to.match(/^application\/json/);
  expect(res.body).to.be.an('object');
  expect(res.body.error).to.be.a('string').and.not.equal('');
}

describe('the webhook service (HTTP shell)', () => {
  describe('request bodies', () => {
    it('accepts a 2 MiB request: a big lambda and its ConfigMap travel together', async () => {
      // Server-side apply allows close to 1 MiB of code; the parent carries it twice (spec and
      // kubectl's annotation), the observed ConfigMap twice (data and last-applied).
      const app = testApp({
        config: configFromEnv({ PYLAMBDA_MAX_CODE_BYTES: String(960 * 1024) }),
      });
      const code = `# ${'x'.repeat(520 * 1024)}\ndef handler(event, context):\n    return 1\n`;
      const first = await postHook(
        app,
        SYNC_PATH,
        compositeRequest({ parent: pythonLambda({ spec: { code } }) }),
      );
      expect(first.status).to.equal(200);
      const parent = pythonLambda({ spec: { code }, status: first.body.status });
      const body = requestBody(
        compositeRequest({
          parent,
          children: observeChildren(first.body.children, parent, { deployment: 'rolled-out' }),
        }),
      );
      expect(body.length).to.be.within(2 * MiB, 8 * MiB);
      const res = await postHook(app, SYNC_PATH, body);
      expect(res.status, res.text.slice(0, 300)).to.equal(200);
      expect(contractProblems(res.body, 'sync')).to.deep.equal([]);
      expect(res.body.status.conditions[0].reason).to.equal('Available');
      expect(res.body.children[0].data['main.py']).to.equal(code);
    });

    it('accepts a request just under 4 MiB (the default limit)', async () => {
      const parent = pythonLambda({ spec: helloSpec() });
      (parent.metadata.annotations as Record<string, string>)['example.com/big'] = 'x'.repeat(
        4 * MiB - 64 * 1024,
      );
      const body = requestBody(compositeRequest({ parent }));
      expect(body.length).to.be.below(4 * MiB);
      const res = await postHook(testApp(), SYNC_PATH, body);
      expect(res.status).to.equal(200);
    });

    it('refuses a 5 MiB request with 413 and a JSON error naming the limit', async () => {
      const parent = pythonLambda({ spec: helloSpec() });
      (parent.metadata.annotations as Record<string, string>)['example.com/big'] = 'x'.repeat(
        5 * MiB,
      );
      const res = await postHook(testApp(), SYNC_PATH, compositeRequest({ parent }));
      expectJsonError(res, 413);
      expect(res.body).to.deep.equal({
        error: `request body is larger than the limit of ${4 * MiB} bytes (PYLAMBDA_BODY_LIMIT_BYTES)`,
      });
    });

    it('answers invalid JSON with 400 and a JSON error', async () => {
      for (const text of ['{"parent": ', '{parent: 1}', 'null', '"a string"', '42']) {
        const res = await postHook(testApp(), SYNC_PATH, text);
        expectJsonError(res, 400);
        expect(res.body.error, text).to.match(/^request body is not valid JSON/);
      }
    });

    it('answers an empty body or a JSON array with 400 naming what is missing', async () => {
      const empty = await postHook(testApp(), SYNC_PATH, '');
      expectJsonError(empty, 400);
      expect(empty.body.problems).to.deep.equal([{ path: 'parent', message: 'is required' }]);
      const list = await postHook(testApp(), SYNC_PATH, '[]');
      expectJsonError(list, 400);
      expect(list.body.problems).to.deep.equal([{ path: '(root)', message: 'must be object' }]);
    });

    it('answers another content type with 415', async () => {
      const body = requestBody(compositeRequest({ parent: pythonLambda({ spec: helloSpec() }) }));
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/yaml']) {
        const res = await request(testApp().callback())
          .post(SYNC_PATH)
          .set('Content-Type', type)
          .send(body);
        expectJsonError(res, 415);
        expect(res.body.error).to.contain(type);
      }
    });

    it('answers a content encoding it does not know with 415, small body or large', async () => {
      for (const codeBytes of [10, 300_000]) {
        const spec = { ...helloSpec(), code: `${helloSpec().code}#${'x'.repeat(codeBytes)}\n` };
        const body = requestBody(compositeRequest({ parent: pythonLambda({ spec }) }));
        for (const encoding of ['compress', 'x-unknown']) {
          const res = await request(testApp().callback())
            .post(SYNC_PATH)
            .set('Content-Type', 'application/json')
            .set('Content-Encoding', encoding)
            .send(body);
          expectJsonError(res, 415);
        }
      }
    });

    it('answers a body that is not UTF-8 with 400, never an answer three times its size', async () => {
      // Decoded anyway, each 0xff would come back as U+FFFD (three bytes) in the echoed code.
      const spec = { ...helloSpec(), code: `${helloSpec().code}#@@@@\n` };
      const text = requestBody(compositeRequest({ parent: pythonLambda({ spec }) }));
      const raw = Buffer.from(text);
      const at = raw.indexOf('@@@@');
      raw.fill(0xff, at, at + 4);
      const res = await request(testApp().callback())
        .post(SYNC_PATH)
        .set('Content-Type', 'application/json')
        // As bytes: superagent would otherwise serialize a Buffer as JSON.
        .serialize((bytes: Buffer) => bytes as unknown as string)
        .send(raw);
      expectJsonError(res, 400);
      expect(res.body.error).to.equal(
        `request body is not valid JSON: not UTF-8 (RFC 8259 §8.1) from byte ${at}`,
      );
    });

    it('reads a coding name in any case (GZIP, Identity), as RFC 9110 compares them', async () => {
      const body = requestBody(compositeRequest({ parent: pythonLambda({ spec: helloSpec() }) }));
      for (const [encoding, bytes] of [
        ['GZIP', gzipSync(body)],
        ['Identity', Buffer.from(body)],
      ] as const) {
        const res = await request(testApp().callback())
          .post(SYNC_PATH)
          .set('Content-Type', 'application/json')
          .set('Content-Encoding', encoding)
          // As bytes: superagent would otherwise serialize a Buffer as JSON.
          .serialize((raw: Buffer) => raw as unknown as string)
          .send(bytes);
        expect(res.status, `${encoding}: ${res.text}`).to.equal(200);
      }
    });

    it('accepts application/json with a charset', async () => {
      const body = requestBody(compositeRequest({ parent: pythonLambda({ spec: helloSpec() }) }));
      const res = await request(testApp().callback())
        .post(SYNC_PATH)
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(body);
      expect(res.status).to.equal(200);
    });

    it('answers a request failing the schema with 400 naming every failing path and why', async () => {
      const res = await postHook(
        testApp(),
        SYNC_PATH,
        JSON.stringify({
          controller: 'x',
          parent: {
            apiVersion: 'pylambda.dev/v1alpha1',
            kind: 'PythonLambda',
            metadata: { namespace: '' },
            spec: 'code',
            status: 5,
          },
          children: {
            'ConfigMap.v1': { a: { apiVersion: 'v1', metadata: { name: 'a' } } },
            'Service.v1': [],
          },
          related: 3,
          finalizing: 'yes',
        }),
      );
      expectJsonError(res, 400);
      expect(res.body).to.deep.equal({
        error: 'invalid pythonlambda/sync request',
        problems: [
          { path: 'controller', message: 'must be object' },
          { path: 'parent.metadata.name', message: 'is required' },
          { path: 'parent.metadata.namespace', message: 'must NOT have fewer than 1 characters' },
          { path: 'parent.spec', message: 'must be object' },
          { path: 'parent.status', message: 'must be object,null' },
          { path: 'children["ConfigMap.v1"].a.kind', message: 'is required' },
          { path: 'children["Service.v1"]', message: 'must be object,null' },
          { path: 'related', message: 'must be object,null' },
          { path: 'finalizing', message: 'must be boolean' },
        ],
      });
    });

    it('names the v2 key of a broken child', async () => {
      const parent = pythonLambda({ spec: helloSpec() });
      const req = compositeRequest({ parent });
      req.children!['Deployment.apps/v1'] = {
        'demo/hello': { apiVersion: 'apps/v1', kind: 'Deployment', metadata: {} } as never,
      };
      const res = await postHook(testApp(), FINALIZE_PATH, req);
      expectJsonError(res, 400);
      expect(res.body.problems).to.deep.equal([
        {
          path: 'children["Deployment.apps/v1"]["demo/hello"].metadata.name',
          message: 'is required',
        },
      ]);
    });

    it('accepts null children and related maps (Go nil maps)', async () => {
      const req = {
        ...compositeRequest({ parent: pythonLambda({ spec: helloSpec() }) }),
        children: null,
        related: null,
      };
      const res = await postHook(testApp(), SYNC_PATH, JSON.stringify(req));
      expect(res.status).to.equal(200);
      expect(res.body.children).to.have.length(3);
    });

    it('reads the request as Go escapes it (\\u003c, \\u0026)', async () => {
      const body = requestBody(
        compositeRequest({ parent: pythonLambda({ spec: helloSpec({ code: 'x = "<&>"\n' }) }) }),
      );
      expect(body).to.contain('\\u003c\\u0026\\u003e');
      const res = await postHook(testApp(), SYNC_PATH, body);
      expect(res.body.children[0].data['main.py']).to.equal('x = "<&>"\n');
    });
  });

  describe('probes, metrics and routes', () => {
    it('GET /healthz and /readyz answer 200 JSON', async () => {
      const app = testApp();
      for (const path of ['/healthz', '/readyz']) {
        const res = await request(app.callback()).get(path);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ status: 'ok' });
      }
    });

    it('/readyz fails while the service drains, /healthz does not', async () => {
      const app = testApp();
      app.pylambda.draining = true;
      const ready = await request(app.callback()).get('/readyz');
      expect(ready.status).to.equal(503);
      expect(ready.body).to.deep.equal({ status: 'shutting down' });
      expect((await request(app.callback()).get('/healthz')).status).to.equal(200);
    });

    it('GET /metrics counts hook calls by hook and code, and errors by reason', async () => {
      const app = testApp();
      const before = await request(app.callback()).get('/metrics');
      expect(before.status).to.equal(200);
      expect(before.text).to.not.match(/^pylambda_hook_requests_total\{/m);
      await postHook(
        app,
        SYNC_PATH,
        compositeRequest({ parent: pythonLambda({ spec: helloSpec() }) }),
      );
      await postHook(
        app,
        SYNC_PATH,
        compositeRequest({ parent: pythonLambda({ spec: helloSpec() }) }),
      );
      await postHook(app, FINALIZE_PATH, '{}');
      const res = await request(app.callback()).get('/metrics');
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/plain/);
      expect(res.text).to.contain('# TYPE pylambda_hook_requests_total counter');
      expect(res.text).to.contain(
        'pylambda_hook_requests_total{hook="pythonlambda/sync",code="200"} 2',
      );
      expect(res.text).to.contain(
        'pylambda_hook_requests_total{hook="pythonlambda/finalize",code="400"} 1',
      );
      expect(res.text).to.contain(
        'pylambda_hook_errors_total{hook="pythonlambda/finalize",reason="invalid-request"} 1',
      );
      expect(res.text).to.match(
        /^pylambda_hook_duration_seconds_count\{hook="pythonlambda\/sync"\} 2$/m,
      );
    });

    it('answers an unknown route with 404 JSON', async () => {
      const app = testApp();
      for (const [method, path] of [
        ['get', '/nope'],
        ['post', '/hooks/pythonlambda/unknown'],
        ['get', '/'],
      ] as const) {
        const res = await request(app.callback())[method](path);
        expectJsonError(res, 404);
        expect(res.body).to.deep.equal({ error: `no route for ${method.toUpperCase()} ${path}` });
      }
    });

    it('answers GET on a hook route with an error, never a hook response', async () => {
      const res = await request(testApp().callback()).get(SYNC_PATH);
      expect(res.status).to.be.oneOf([404, 405]);
      expect(res.headers['content-type']).to.match(/^application\/json/);
    });
  });
});
