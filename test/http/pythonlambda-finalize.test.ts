import { expect } from 'chai';
import type { CompositeResponse } from '../../src/hooks/composite-types.js';
import { FIXED_NOW_RFC3339, postHook, testApp } from '../fixtures/app.js';
import { contractProblems } from '../fixtures/contract.js';
import { helloSpec } from '../fixtures/lambda.js';
import {
  compositeRequest,
  FINALIZE_PATH,
  HOOK_VERSIONS,
  pythonLambda,
  SYNC_PATH,
} from '../fixtures/metacontroller.js';
import { observeChildren } from '../fixtures/observed.js';

const app = testApp();
const DELETED_AT = '2026-08-23T12:00:00Z';

async function readyLambda() {
  const created = await postHook(
    app,
    SYNC_PATH,
    compositeRequest({ parent: pythonLambda({ spec: helloSpec() }) }),
  );
  const parent = pythonLambda({ spec: helloSpec(), status: created.body.status });
  const observed = observeChildren(created.body.children, parent, { deployment: 'rolled-out' });
  const ready = await postHook(app, SYNC_PATH, compositeRequest({ parent, children: observed }));
  return { status: (ready.body as CompositeResponse).status, observed };
}

function deleting(status: unknown) {
  return pythonLambda({ spec: helloSpec(), status, deletionTimestamp: DELETED_AT });
}

describe('POST /hooks/pythonlambda/finalize', () => {
  for (const version of HOOK_VERSIONS) {
    it(`(${version}) deletes every child and is not finalized while children are left`, async () => {
      const { status, observed } = await readyLambda();
      const res = await postHook(
        app,
        FINALIZE_PATH,
        compositeRequest({
          parent: deleting(status),
          children: observed,
          version,
          finalizing: true,
        }),
      );
      expect(res.status).to.equal(200);
      expect(contractProblems(res.body, 'finalize')).to.deep.equal([]);
      expect(res.body.children).to.deep.equal([]);
      expect(res.body.finalized).to.equal(false);
      expect(observed[0]!.metadata.name).to.match(/^hello-code-[0-9a-f]{10}$/);
      expect(res.body.status.conditions).to.deep.equal([
        {
          type: 'Ready',
          status: 'False',
          observedGeneration: 1,
          lastTransitionTime: FIXED_NOW_RFC3339,
          reason: 'Terminating',
          message: `deleting ConfigMap ${observed[0]!.metadata.name}, Deployment hello, Service hello`,
        },
      ]);
      expect({ ...res.body.status, conditions: [] }).to.deep.equal({ ...status, conditions: [] });
    });

    it(`(${version}) is finalized once no observed child is left`, async () => {
      const { status, observed } = await readyLambda();
      const partial = await postHook(
        app,
        FINALIZE_PATH,
        compositeRequest({
          parent: deleting(status),
          children: observed.filter((c) => c.kind === 'Deployment'),
          version,
          finalizing: true,
        }),
      );
      expect(partial.body.finalized).to.equal(false);
      expect(partial.body.status.conditions[0].message).to.equal('deleting Deployment hello');

      const done = await postHook(
        app,
        FINALIZE_PATH,
        compositeRequest({
          parent: deleting(partial.body.status),
          children: [],
          version,
          finalizing: true,
        }),
      );
      expect(done.status).to.equal(200);
      expect(contractProblems(done.body, 'finalize')).to.deep.equal([]);
      expect(done.body).to.deep.equal({
        status: {
          ...partial.body.status,
          conditions: [{ ...partial.body.status.conditions[0], message: 'all children deleted' }],
        },
        children: [],
        finalized: true,
      });
    });
  }

  it('is deterministic and keeps its time when fed back', async () => {
    const { status, observed } = await readyLambda();
    const request = compositeRequest({
      parent: deleting(status),
      children: observed,
      finalizing: true,
    });
    const [a, b] = [
      await postHook(app, FINALIZE_PATH, request),
      await postHook(app, FINALIZE_PATH, request),
    ];
    expect(a.text).to.equal(b.text);
    const again = await postHook(
      app,
      FINALIZE_PATH,
      compositeRequest({ parent: deleting(a.body.status), children: observed, finalizing: true }),
    );
    expect(again.body.status).to.deep.equal(a.body.status);
  });

  it('finalizes a lambda that never got a status or children', async () => {
    const res = await postHook(
      app,
      FINALIZE_PATH,
      compositeRequest({ parent: deleting(undefined), finalizing: true }),
    );
    expect(contractProblems(res.body, 'finalize')).to.deep.equal([]);
    expect(res.body.finalized).to.equal(true);
    expect(res.body.status).to.deep.equal({
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          observedGeneration: 1,
          lastTransitionTime: FIXED_NOW_RFC3339,
          reason: 'Terminating',
          message: 'all children deleted',
        },
      ],
      replicas: 0,
      readyReplicas: 0,
      updatedReplicas: 0,
      selector: 'pylambda.dev/lambda=hello',
    });
  });

  it('finalizes even when the spec is invalid', async () => {
    const parent = pythonLambda({ spec: { code: 1 }, deletionTimestamp: DELETED_AT });
    const res = await postHook(app, FINALIZE_PATH, compositeRequest({ parent, finalizing: true }));
    expect(res.status).to.equal(200);
    expect(res.body.finalized).to.equal(true);
  });
});
