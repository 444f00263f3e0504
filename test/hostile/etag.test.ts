// Metacontroller's webhook ETag protocol (docs/metacontroller.md §6) end to end on each hook:
// a 200 carries an ETag; the same call with If-None-Match naming it gets 304 and no body (and
// Metacontroller answers from its cache); a call whose answer changed gets a 200 with a new
// ETag even though it names the old one; `*`, weak tags and lists work.
import { expect } from 'chai';
import type { CompositeAnswer, DecoratorAnswer } from '../property/support/contract.js';
import {
  startHookServer,
  type HookServer,
  type HookReply,
} from '../property/support/hook-server.js';
import {
  childMap,
  COMPOSITE_GROUPS,
  compositeBody,
  DECORATOR_GROUPS,
  decoratorBody,
  observeAll,
} from '../property/support/metacontroller.js';
import {
  parentObject,
  parentRef,
  type ParentFields,
} from '../property/support/pythonlambda-requests.js';

const PARENT: ParentFields = {
  name: 'etag-demo',
  namespace: 'demo',
  generation: 1,
  creationTimestamp: '2026-08-20T10:00:00Z',
  labels: {},
  annotations: {},
  spec: { code: 'def handler(event, context):\n    return "v1"\n' },
};

function composite(
  parent: ParentFields,
  children: CompositeAnswer['children'] = [],
  finalizing = false,
) {
  return compositeBody({
    parent: parentObject(parent),
    children: childMap(children, parent.namespace, 'v2', COMPOSITE_GROUPS),
    finalizing,
  });
}

function deployment(handler: string, attachments: DecoratorAnswer['attachments'] = []) {
  return decoratorBody({
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'greeter',
        namespace: 'demo',
        uid: 'u-1',
        annotations: { 'pylambda.dev/handler': handler },
      },
      spec: {
        selector: { matchLabels: { app: 'greeter' } },
        template: { metadata: { labels: { app: 'greeter' } } },
      },
    },
    attachments: childMap(attachments, 'demo', 'v2', DECORATOR_GROUPS),
    finalizing: false,
  });
}

const observed = (answer: CompositeAnswer) =>
  observeAll(answer.children, {
    namespace: 'demo',
    parent: parentRef(PARENT),
    strategy: 'server-side-apply',
    deployment: 'rolled-out',
    rolloutAt: '2026-08-20T10:01:00Z',
  });

describe('hostile: ETag and If-None-Match (Metacontroller webhook.etag)', () => {
  let server: HookServer;

  before(async () => {
    server = await startHookServer();
  });

  after(async () => {
    await server.close();
  });

  async function expectEtagProtocol(path: string, body: string, changedBody: string) {
    const first = await server.call(path, body);
    expect(first.status, first.text).to.equal(200);
    const etag = first.headers.etag!;
    expect(etag).to.match(/^"[A-Za-z0-9_-]+"$/);

    for (const header of [etag, `W/${etag}`, '*', `"other", ${etag}`, `W/"x",${etag} , "y"`]) {
      const cached = await server.call(path, body, { headers: { 'if-none-match': header } });
      expect(cached.status, `If-None-Match: ${header}`).to.equal(304);
      expect(cached.text).to.equal('');
      expect(cached.headers.etag).to.equal(etag);
    }
    for (const header of ['"other"', `"other", W/"x"`, etag.slice(0, -2) + '"']) {
      const fresh = await server.call(path, body, { headers: { 'if-none-match': header } });
      expect(fresh.status, `If-None-Match: ${header}`).to.equal(200);
      expect(fresh.text).to.equal(first.text);
    }

    // What Metacontroller does after the object changed: it still sends the cached ETag.
    const changed: HookReply = await server.call(path, changedBody, {
      headers: { 'if-none-match': etag },
    });
    expect(changed.status).to.equal(200);
    expect(changed.headers.etag).to.not.equal(etag);
    expect(changed.text).to.not.equal(first.text);
    const again = await server.call(path, changedBody, {
      headers: { 'if-none-match': changed.headers.etag! },
    });
    expect(again.status).to.equal(304);
  }

  it('pythonlambda/sync: 304 for an unchanged answer, a new ETag after a code change', async () => {
    const edited = {
      ...PARENT,
      generation: 2,
      spec: { code: 'def handler(event, context):\n    return "v2"\n' },
    };
    await expectEtagProtocol('/hooks/pythonlambda/sync', composite(PARENT), composite(edited));
  });

  it('pythonlambda/finalize: a new ETag once a child is gone', async () => {
    const created = JSON.parse(
      (await server.call('/hooks/pythonlambda/sync', composite(PARENT))).text,
    ) as CompositeAnswer;
    const children = observed(created);
    await expectEtagProtocol(
      '/hooks/pythonlambda/finalize',
      composite(PARENT, children, true),
      composite(PARENT, children.slice(1), true),
    );
  });

  it('lambda-deployment/sync: a new ETag after the handler annotation changed', async () => {
    await expectEtagProtocol(
      '/hooks/lambda-deployment/sync',
      deployment('main.handler'),
      deployment('main.other'),
    );
  });

  it('lambda-deployment/finalize: a new ETag once the attachments are gone', async () => {
    const synced = JSON.parse(
      (await server.call('/hooks/lambda-deployment/sync', deployment('main.handler'))).text,
    ) as DecoratorAnswer;
    await expectEtagProtocol(
      '/hooks/lambda-deployment/finalize',
      deployment('main.handler', synced.attachments),
      deployment('main.handler'),
    );
  });

  it('answers a resync that changes nothing with 304: the fed-back children and status give the same answer', async () => {
    const created = JSON.parse(
      (await server.call('/hooks/pythonlambda/sync', composite(PARENT))).text,
    ) as CompositeAnswer;
    const children = observed(created);
    const ready = await server.call(
      '/hooks/pythonlambda/sync',
      composite({ ...PARENT, status: created.status }, children),
    );
    const status = (JSON.parse(ready.text) as CompositeAnswer).status;
    const resync = await server.call(
      '/hooks/pythonlambda/sync',
      composite({ ...PARENT, status: { ...status, observedGeneration: 1 } }, children),
      { headers: { 'if-none-match': ready.headers.etag! } },
    );
    expect(resync.status).to.equal(304);
  });
});
