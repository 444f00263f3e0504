// The certificate job's API client against a real HTTP server on 127.0.0.1: what it sends (the
// token, the content types) and how it reads answers (404 as nothing, other errors with the API
// server's own message, an oversized answer refused).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ApiError, kubeApi, type KubeApi } from '../../../src/certs/kube-api.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const THING = '/apis/g/v1/things/a';

describe('certificate job: API client', () => {
  let server: Server;
  let api: KubeApi;
  const seen: Seen[] = [];
  let answer: (req: Seen) => { status: number; body: string };

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const request = { method: req.method!, url: req.url!, headers: req.headers, body };
        seen.push(request);
        const { status, body: text } = answer(request);
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    api = kubeApi({ server: `http://127.0.0.1:${port}`, token: 'sa-token', ca: undefined });
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (seen.length = 0));

  it('sends the service-account token and reads the object', async () => {
    answer = () => ({ status: 200, body: '{"kind":"Service","spec":{"clusterIP":"10.0.0.1"}}' });
    expect(await api.get('/api/v1/namespaces/x/services/y')).to.deep.equal({
      kind: 'Service',
      spec: { clusterIP: '10.0.0.1' },
    });
    expect(seen[0]!.headers.authorization).to.equal('Bearer sa-token');
    expect(seen[0]!.method).to.equal('GET');
  });

  it('reads a 404 as no object', async () => {
    answer = () => ({
      status: 404,
      body: '{"kind":"Status","message":"secrets \\"a\\" not found"}',
    });
    expect(await api.get('/api/v1/namespaces/x/secrets/a')).to.equal(undefined);
  });

  it('fails other errors with the status and the API server’s message', async () => {
    answer = () => ({
      status: 403,
      body: '{"kind":"Status","message":"secrets is forbidden: User cannot create"}',
    });
    const failure = await api
      .create('/api/v1/namespaces/x/secrets', { metadata: { name: 'a' } })
      .catch((e: unknown) => e);
    expect(failure).to.be.instanceOf(ApiError);
    expect((failure as ApiError).status).to.equal(403);
    expect((failure as ApiError).message).to.include('secrets is forbidden');
  });

  it('sends a merge patch as application/merge-patch+json and a replace as PUT, both under its field manager', async () => {
    answer = () => ({ status: 200, body: '{}' });
    await api.mergePatch('/apis/g/v1/things/a', { spec: { x: 1 } });
    await api.replace('/apis/g/v1/things/a', { metadata: { name: 'a', resourceVersion: '7' } });
    expect(
      seen.map((s) => [s.method, s.url, s.headers['content-type'], JSON.parse(s.body)]),
    ).to.deep.equal([
      [
        'PATCH',
        `${THING}?fieldManager=pylambda-certs`,
        'application/merge-patch+json',
        { spec: { x: 1 } },
      ],
      [
        'PUT',
        `${THING}?fieldManager=pylambda-certs`,
        'application/json',
        { metadata: { name: 'a', resourceVersion: '7' } },
      ],
    ]);
  });

  it('refuses an answer larger than any Kubernetes object', async () => {
    answer = () => ({ status: 200, body: `"${'x'.repeat(5 * 1024 * 1024)}"` });
    const failure = await api.get('/huge').catch((e: unknown) => e);
    expect((failure as Error).message).to.include('answer over');
  });
});
