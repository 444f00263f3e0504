import { expect } from 'chai';
import type { CompositeRequest, CompositeResponse } from '../../src/hooks/composite-types.js';
import type { KubeObject } from '../../src/metacontroller/objects.js';
import { configFromEnv } from '../../src/config.js';
import { postHook, testApp } from '../fixtures/app.js';
import { helloSpec } from '../fixtures/lambda.js';
import {
  compositeRequest,
  HOOK_VERSIONS,
  pythonLambda,
  requestBody,
  SYNC_PATH,
  type ParentOptions,
} from '../fixtures/metacontroller.js';
import { observeChildren, type DeploymentState } from '../fixtures/observed.js';

const SPEC = helloSpec({
  files: { 'b.py': 'B = 1\n', 'a/b.py': 'AB = 1\n' },
  requirements: 'six\n',
  env: [
    { name: 'Z', value: '1' },
    { name: 'A', value: '2' },
  ],
  resources: { requests: { cpu: '100m' } },
  replicas: 2,
});

/** Every stage a lambda goes through, as Metacontroller would send it. */
async function stages(): Promise<
  { name: string; options: ParentOptions; children: KubeObject[] }[]
> {
  const app = testApp();
  const options: ParentOptions = { spec: SPEC };
  const created = await postHook(
    app,
    SYNC_PATH,
    compositeRequest({ parent: pythonLambda(options) }),
  );
  const desired = (created.body as CompositeResponse).children;
  const parent = pythonLambda(options);
  const states: DeploymentState[] = ['created', 'rolling', 'stalled', 'rolled-out'];
  return [
    { name: 'creation', options, children: [] },
    ...states.map((state) => ({
      name: `Deployment ${state}`,
      options,
      children: observeChildren(desired, parent, { deployment: state }),
    })),
    {
      name: 'code changed',
      options: {
        spec: { ...SPEC, code: 'x = 2\n' },
        generation: 2,
        specWrittenAt: '2026-08-21T00:00:00Z',
      },
      children: observeChildren(desired, parent, { deployment: 'rolled-out' }),
    },
    {
      name: 'invalid spec',
      options: {
        spec: { ...SPEC, replicas: 'x' },
        generation: 2,
        specWrittenAt: '2026-08-21T00:00:00Z',
      },
      children: observeChildren(desired, parent, { deployment: 'rolled-out' }),
    },
  ];
}

describe('determinism of the sync hook', () => {
  it('the same request twice gives byte-identical bodies, at every stage and hook version', async () => {
    // Without the response cache, or the second call would only read back the first answer.
    const app = testApp({ config: configFromEnv({ PYLAMBDA_RESPONSE_CACHE_BYTES: '0' }) });
    for (const stage of await stages()) {
      for (const version of HOOK_VERSIONS) {
        const request = compositeRequest({
          parent: pythonLambda(stage.options),
          children: stage.children,
          version,
        });
        const a = await postHook(app, SYNC_PATH, request);
        const b = await postHook(app, SYNC_PATH, request);
        expect(a.status, stage.name).to.equal(200);
        expect(a.text, `${stage.name} ${version}`).to.equal(b.text);
      }
    }
  });

  it('the clock shows only in the time of a flip: apps with different clocks differ there alone', async () => {
    const a = testApp({ now: () => new Date('2040-01-01T00:00:00Z') });
    const b = testApp({ now: () => new Date('2050-01-01T00:00:00Z') });
    for (const stage of await stages()) {
      const request = compositeRequest({
        parent: pythonLambda(stage.options),
        children: stage.children,
      });
      const [ra, rb] = [
        await postHook(a, SYNC_PATH, request),
        await postHook(b, SYNC_PATH, request),
      ];
      expect(ra.text.replaceAll('2040-01-01T00:00:00Z', 'NOW'), stage.name).to.equal(
        rb.text.replaceAll('2050-01-01T00:00:00Z', 'NOW'),
      );
      // These stages all flip Ready (no status yet): the flip is dated by each app's clock.
      expect(ra.body.status.conditions[0].lastTransitionTime).to.equal('2040-01-01T00:00:00Z');
    }
  });

  it('the order of keys and children in the request does not change the response content', async () => {
    const app = testApp();
    for (const stage of await stages()) {
      const request = compositeRequest({
        parent: pythonLambda(stage.options),
        children: stage.children,
      });
      const reversed: CompositeRequest = JSON.parse(JSON.stringify(request), (_k, v: unknown) =>
        v && typeof v === 'object' && !Array.isArray(v)
          ? Object.fromEntries(Object.entries(v as object).reverse())
          : v,
      );
      const [a, b] = [
        await postHook(app, SYNC_PATH, requestBody(request)),
        await postHook(app, SYNC_PATH, JSON.stringify(reversed)),
      ];
      // The same content; user-written objects (env entries) may keep the client's key order.
      expect(b.body, stage.name).to.deep.equal(a.body);
    }
  });

  it('feeding the status back in as the parent’s status gives the same status', async () => {
    const app = testApp();
    for (const stage of await stages()) {
      const first = await postHook(
        app,
        SYNC_PATH,
        compositeRequest({ parent: pythonLambda(stage.options), children: stage.children }),
      );
      const status = (first.body as CompositeResponse).status;
      // Metacontroller writes it with observedGeneration, and its write shows in managedFields.
      const generation = stage.options.generation ?? 1;
      const parent = pythonLambda({
        ...stage.options,
        status: { ...status, observedGeneration: generation },
        statusWrittenAt: '2026-08-25T00:00:00Z',
      });
      const second = await postHook(
        app,
        SYNC_PATH,
        compositeRequest({ parent, children: stage.children }),
      );
      expect(second.body.status, stage.name).to.deep.equal(status);
      expect(second.body.children, stage.name).to.deep.equal(first.body.children);
      // And once more: a fixed point.
      const third = await postHook(
        app,
        SYNC_PATH,
        compositeRequest({
          parent: pythonLambda({
            ...stage.options,
            status: { ...second.body.status, observedGeneration: generation },
            statusWrittenAt: '2026-08-26T00:00:00Z',
          }),
          children: stage.children,
        }),
      );
      expect(third.text, stage.name).to.equal(second.text);
    }
  });

  it('other conditions in the observed status are dropped, Ready keeps its time', async () => {
    const app = testApp();
    const [stage] = (await stages()).filter((s) => s.name === 'Deployment rolled-out');
    const first = await postHook(
      app,
      SYNC_PATH,
      compositeRequest({ parent: pythonLambda(stage!.options), children: stage!.children }),
    );
    const status = first.body.status;
    const parent = pythonLambda({
      ...stage!.options,
      status: {
        ...status,
        conditions: [
          {
            type: 'Stale',
            status: 'True',
            lastTransitionTime: '2020-01-01T00:00:00Z',
            reason: 'Old',
            message: '',
          },
          ...status.conditions,
        ],
      },
    });
    const second = await postHook(
      app,
      SYNC_PATH,
      compositeRequest({ parent, children: stage!.children }),
    );
    expect(second.body.status).to.deep.equal(status);
  });
});
