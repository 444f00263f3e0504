import { expect } from 'chai';
import { configFromEnv } from '../../src/config.js';
import type { CompositeResponse } from '../../src/hooks/composite-types.js';
import {
  codeTooLargeMessage,
  DEFAULT_MAX_CODE_BYTES,
  SERVER_SIDE_APPLY_MAX_CODE_BYTES,
  storedDataBytes,
  rawDataBytes,
} from '../../src/lambda/code-size.js';
import type { KubeObject } from '../../src/metacontroller/objects.js';
import { FIXED_NOW_RFC3339, postHook, testApp } from '../fixtures/app.js';
import { contractProblems } from '../fixtures/contract.js';
import { HELPERS_CODE, helloSpec } from '../fixtures/lambda.js';
import {
  compositeRequest,
  HOOK_VERSIONS,
  pythonLambda,
  SYNC_PATH,
  type HookVersion,
} from '../fixtures/metacontroller.js';
import { observeChildren } from '../fixtures/observed.js';

const app = testApp();
/** Told the strategy (PYLAMBDA_APPLY_STRATEGY), as for a new lambda whose children show none. */
const dynamicApply = testApp({
  config: configFromEnv({ PYLAMBDA_APPLY_STRATEGY: 'dynamic-apply' }),
});
const GOOD_SPEC = helloSpec({ files: { 'pkg/helpers.py': HELPERS_CODE }, replicas: 2 });
const EDITED_AT = '2026-08-22T09:30:00Z';
/** The bytes the hook counts: the code ConfigMap's data as JSON (the user's files only). */
function storedBytes(data: Record<string, string>): number {
  return storedDataBytes(data);
}

/** Room left for main.py under the default limit, beside `data`. */
const ROOM = DEFAULT_MAX_CODE_BYTES - storedBytes({ 'main.py': '' });

async function post(
  parent: KubeObject,
  children: KubeObject[],
  version: HookVersion = 'v2',
  on = app,
) {
  const res = await postHook(on, SYNC_PATH, compositeRequest({ parent, children, version }));
  expect(res.status, res.text).to.equal(200);
  expect(contractProblems(res.body, 'sync')).to.deep.equal([]);
  return res.body as CompositeResponse;
}

/** A lambda that is up and Ready: what Metacontroller observes before the bad edit. */
async function runningLambda() {
  const first = await post(pythonLambda({ spec: GOOD_SPEC }), []);
  const parent = pythonLambda({
    spec: GOOD_SPEC,
    status: { ...first.status, observedGeneration: 1 },
  });
  const observed = observeChildren(first.children, parent, { deployment: 'rolled-out' });
  const ready = await post(parent, observed);
  expect(ready.status.conditions![0]!.status).to.equal('True');
  return { desired: first.children, observed, status: ready.status };
}

/** The children as Metacontroller applied them: ours plus the namespace and controller-uid label. */
function applied(desired: KubeObject[], parent: KubeObject): KubeObject[] {
  return desired.map((c) => ({
    ...c,
    metadata: {
      ...c.metadata,
      labels: { ...c.metadata.labels, 'controller-uid': parent.metadata.uid! },
    },
  }));
}

const INVALID: { what: string; spec: unknown; reason: string; field: string }[] = [
  {
    what: 'a wrong type',
    spec: { ...GOOD_SPEC, replicas: 'three' },
    reason: 'InvalidSpec',
    field: 'spec.replicas',
  },
  {
    what: 'an unknown field',
    spec: { ...GOOD_SPEC, replica: 3 },
    reason: 'InvalidSpec',
    field: 'spec.replica',
  },
  {
    what: 'a file path outside the code directory',
    spec: { ...GOOD_SPEC, files: { '../x': 'boom' } },
    reason: 'InvalidSpec',
    field: 'spec.files["../x"]',
  },
  {
    what: 'a bad env name',
    spec: { ...GOOD_SPEC, env: [{ name: '1X', value: 'y' }] },
    reason: 'InvalidSpec',
    field: 'spec.env[0].name',
  },
  {
    what: 'a bad handler',
    spec: { ...GOOD_SPEC, handler: 'handler' },
    reason: 'InvalidSpec',
    field: 'spec.handler',
  },
  { what: 'no code', spec: { handler: 'main.handler' }, reason: 'InvalidSpec', field: 'spec.code' },
  {
    what: 'too much code',
    spec: { ...GOOD_SPEC, code: `# ${'x'.repeat(DEFAULT_MAX_CODE_BYTES)}\n` },
    reason: 'CodeTooLarge',
    field: 'spec.code',
  },
];

describe('POST /hooks/pythonlambda/sync with an invalid spec', () => {
  let running: Awaited<ReturnType<typeof runningLambda>>;
  before(async () => {
    running = await runningLambda();
  });

  for (const { what, spec, reason, field } of INVALID) {
    for (const version of HOOK_VERSIONS) {
      it(`(${what}, ${version}) keeps every observed child as applied and says why in Ready=False`, async () => {
        const parent = pythonLambda({
          spec,
          generation: 2,
          specWrittenAt: EDITED_AT,
          status: { ...running.status, observedGeneration: 1 },
          statusWrittenAt: '2026-08-20T10:00:02Z',
        });
        const body = await post(parent, running.observed, version);
        expect(body.children).to.deep.equal(applied(running.desired, parent));
        expect(body.children.map((c) => `${c.kind}/${c.metadata.name}`)).to.deep.equal(
          running.observed.map((c) => `${c.kind}/${c.metadata.name}`),
        );
        const ready = body.status.conditions![0]!;
        expect(body.status.conditions).to.have.length(1);
        expect(ready).to.include({
          type: 'Ready',
          status: 'False',
          observedGeneration: 2,
          lastTransitionTime: FIXED_NOW_RFC3339,
          reason,
        });
        expect(ready.message).to.contain(field);
        // What is running is still reported: its replicas, URL and code.
        expect({ ...body.status, conditions: [] }).to.deep.equal({
          ...running.status,
          conditions: [],
        });
      });
    }
  }

  it('names every problem in one message', async () => {
    const parent = pythonLambda({
      spec: { ...GOOD_SPEC, replicas: -1, port: 'http', extra: true },
    });
    const body = await post(parent, []);
    expect(body.status.conditions![0]!.message).to.equal(
      'invalid spec: spec.extra: is not a known field; spec.replicas: must be >= 0; spec.port: must be integer',
    );
  });

  it('the CodeTooLarge message names the stored size, the limit and how to raise it', async () => {
    const code = 'x'.repeat(ROOM + 1);
    const body = await post(pythonLambda({ spec: { code } }), [], 'v2', dynamicApply);
    const ready = body.status.conditions![0]!;
    expect(ready.reason).to.equal('CodeTooLarge');
    expect(ready.message).to.equal(
      codeTooLargeMessage(DEFAULT_MAX_CODE_BYTES + 1, DEFAULT_MAX_CODE_BYTES, 'dynamic-apply'),
    );
    expect(ready.message).to.contain(`would hold ${DEFAULT_MAX_CODE_BYTES + 1} bytes of JSON`);
    expect(ready.message).to.contain(`limit of ${DEFAULT_MAX_CODE_BYTES} (PYLAMBDA_MAX_CODE_BYTES`);
  });

  it('counts the ConfigMap data as stored: code at exactly the limit is accepted, a byte more is not', async () => {
    // Only the user's files count: the runtime is not in the ConfigMap.
    expect(ROOM).to.equal(DEFAULT_MAX_CODE_BYTES - storedBytes({ 'main.py': '' }));
    expect(ROOM).to.be.above(DEFAULT_MAX_CODE_BYTES - 20);
    const atLimit = await post(
      pythonLambda({ spec: { code: 'x'.repeat(ROOM) } }),
      [],
      'v2',
      dynamicApply,
    );
    expect(atLimit.status.conditions![0]!.reason).to.equal('Creating');
    expect(atLimit.children).to.have.length(3);
    expect(storedDataBytes(atLimit.children[0]!.data as Record<string, string>)).to.equal(
      DEFAULT_MAX_CODE_BYTES,
    );
    const over = await post(
      pythonLambda({ spec: { code: 'x'.repeat(ROOM + 1) } }),
      [],
      'v2',
      dynamicApply,
    );
    expect(over.status.conditions![0]!.reason).to.equal('CodeTooLarge');
    expect(over.children).to.deep.equal([]);
  });

  it('counts <, > and & as the six bytes Go writes for each', async () => {
    // Four characters fewer than there is room for, one of them '<': one byte over.
    const code = `${'x'.repeat(ROOM - 5)}<`;
    const body = await post(pythonLambda({ spec: { code } }), [], 'v2', dynamicApply);
    expect(body.status.conditions![0]!.message).to.equal(
      codeTooLargeMessage(DEFAULT_MAX_CODE_BYTES + 1, DEFAULT_MAX_CODE_BYTES, 'dynamic-apply'),
    );
    const fits = await post(
      pythonLambda({ spec: { code: code.slice(1) } }),
      [],
      'v2',
      dynamicApply,
    );
    expect(fits.children).to.have.length(3);
  });

  it('files, their keys and the requirements count too', async () => {
    const others = { 'a.py': '', 'requirements.txt': 'six\n' };
    const room = DEFAULT_MAX_CODE_BYTES - storedBytes({ 'main.py': 'x', ...others });
    const spec = (fill: number) => ({
      code: 'x',
      files: { 'a.py': 'y'.repeat(fill) },
      requirements: 'six\n',
    });
    const atLimit = await post(pythonLambda({ spec: spec(room) }), [], 'v2', dynamicApply);
    expect(atLimit.children).to.have.length(3);
    const split = await post(pythonLambda({ spec: spec(room + 1) }), [], 'v2', dynamicApply);
    expect(split.status.conditions![0]!.reason).to.equal('CodeTooLarge');
    expect(split.children).to.deep.equal([]);
  });

  it('a raised limit (server-side apply) accepts what the default refuses', async () => {
    const ssa = testApp({
      config: configFromEnv({
        PYLAMBDA_APPLY_STRATEGY: 'server-side-apply',
        PYLAMBDA_MAX_CODE_BYTES: String(SERVER_SIDE_APPLY_MAX_CODE_BYTES),
      }),
    });
    const code = 'x'.repeat(SERVER_SIDE_APPLY_MAX_CODE_BYTES - rawDataBytes({ 'main.py': '' }));
    const res = await postHook(
      ssa,
      SYNC_PATH,
      compositeRequest({ parent: pythonLambda({ spec: { code } }) }),
    );
    expect(res.status).to.equal(200);
    expect(res.body.children).to.have.length(3);
    expect(res.body.status.conditions[0].reason).to.equal('Creating');
    const over = await postHook(
      ssa,
      SYNC_PATH,
      compositeRequest({ parent: pythonLambda({ spec: { code: `${code}x` } }) }),
    );
    expect(over.body.status.conditions[0].reason).to.equal('CodeTooLarge');
  });

  it('an invalid spec on creation creates nothing and says why', async () => {
    const body = await post(pythonLambda({ spec: { code: 'x', replicas: 'two' } }), []);
    expect(body).to.deep.equal({
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            observedGeneration: 1,
            lastTransitionTime: FIXED_NOW_RFC3339,
            reason: 'InvalidSpec',
            message: 'invalid spec: spec.replicas: must be integer',
          },
        ],
        replicas: 0,
        readyReplicas: 0,
        updatedReplicas: 0,
        selector: 'pylambda.dev/lambda=hello',
      },
      children: [],
    });
  });

  it('a parent without a spec is an invalid spec, not a crash', async () => {
    const parent = pythonLambda({ spec: undefined });
    delete parent.spec;
    const body = await post(parent, running.observed);
    expect(body.status.conditions![0]).to.include({
      reason: 'InvalidSpec',
      message: 'invalid spec: spec: is required',
    });
    expect(body.children).to.deep.equal(applied(running.desired, parent));
  });

  it('keeps children applied with server-side apply (no last-applied annotation) without their status', async () => {
    const ssaObserved = running.observed.map((c) => {
      const copy = structuredClone(c);
      delete copy.metadata.annotations!['metacontroller.k8s.io/last-applied-configuration'];
      return copy;
    });
    const parent = pythonLambda({ spec: { ...GOOD_SPEC, replicas: 'x' }, generation: 2 });
    const body = await post(parent, ssaObserved);
    const configMap = running.desired[0]!.metadata.name;
    expect(configMap).to.match(/^hello-code-[0-9a-f]{10}$/);
    expect(body.children.map((c) => `${c.kind}/${c.metadata.name}`)).to.deep.equal([
      `ConfigMap/${configMap}`,
      'Deployment/hello',
      'PodDisruptionBudget/hello',
      'Service/hello',
    ]);
    for (const child of body.children) {
      expect(child).to.not.have.property('status');
      // uid, resourceVersion, managedFields, ownerReferences and foreign annotations are gone;
      // the Deployment keeps its own pylambda.dev/spec-hash.
      expect(child.metadata).to.include.keys(['name', 'namespace', 'labels']);
      expect(Object.keys(child.metadata.annotations ?? {})).to.deep.equal(
        child.kind === 'Deployment' ? ['pylambda.dev/spec-hash'] : [],
      );
    }
    const deployment = body.children.find((c) => c.kind === 'Deployment')!;
    const original = running.desired.find((c) => c.kind === 'Deployment')!;
    expect((deployment.spec as { template: unknown }).template).to.deep.include({
      metadata: (original.spec as { template: { metadata: unknown } }).template.metadata,
    });
  });

  it('the same invalid request twice gives the same bytes, and the status fed back stays put', async () => {
    const spec = { ...GOOD_SPEC, files: { '../x': '' } };
    const parent = pythonLambda({
      spec,
      generation: 2,
      specWrittenAt: EDITED_AT,
      status: running.status,
    });
    const request = compositeRequest({ parent, children: running.observed });
    const [a, b] = [
      await postHook(app, SYNC_PATH, request),
      await postHook(app, SYNC_PATH, request),
    ];
    expect(a.text).to.equal(b.text);
    const again = pythonLambda({
      spec,
      generation: 2,
      specWrittenAt: EDITED_AT,
      status: { ...a.body.status, observedGeneration: 2 },
      statusWrittenAt: '2026-08-22T09:30:01Z',
    });
    const c = await post(again, running.observed);
    expect(c.status).to.deep.equal(a.body.status);
  });

  describe('the apply strategy, read from the request', () => {
    // Between the two limits: refused under dynamic-apply, accepted under server-side apply.
    const code = 'x'.repeat(ROOM + 10_000);

    async function withObserved(mark: (child: KubeObject) => void) {
      const probe = await post(pythonLambda({ spec: { code } }), []);
      const parent = pythonLambda({ spec: { code }, status: probe.status });
      const observed = observeChildren(probe.children, parent).map((child) => {
        mark(child);
        return child;
      });
      return post(parent, observed);
    }

    it('a new lambda whose code fits only server-side apply gets its Service first, to see', async () => {
      const probe = await post(pythonLambda({ spec: { code } }), []);
      expect(probe.children.map((c) => c.kind)).to.deep.equal(['Service']);
      expect(probe.status.conditions![0]).to.include({ status: 'False', reason: 'Creating' });
      expect(probe.status.conditions![0]!.message).to.contain(
        'fits only if Metacontroller applies with server-side apply',
      );
    });

    it('the last-applied annotation says dynamic-apply: CodeTooLarge, the Service kept', async () => {
      const body = await withObserved(() => undefined);
      expect(body.status.conditions![0]!.reason).to.equal('CodeTooLarge');
      expect(body.status.conditions![0]!.message).to.contain('apply strategy dynamic-apply');
      expect(body.children.map((c) => c.kind)).to.deep.equal(['Service']);
    });

    it('a managedFields Apply entry of metacontroller says server-side apply: all children', async () => {
      const body = await withObserved((child) => {
        delete child.metadata.annotations!['metacontroller.k8s.io/last-applied-configuration'];
        (child.metadata as { managedFields: unknown[] }).managedFields = [
          {
            manager: 'metacontroller',
            operation: 'Apply',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:spec': {} },
          },
        ];
      });
      expect(body.children.map((c) => c.kind)).to.deep.equal([
        'ConfigMap',
        'Deployment',
        'Service',
      ]);
      expect(body.status.conditions![0]!.reason).to.not.equal('CodeTooLarge');
    });

    it('PYLAMBDA_APPLY_STRATEGY overrides what the request shows', async () => {
      const probe = await post(pythonLambda({ spec: { code } }), []);
      const parent = pythonLambda({ spec: { code }, status: probe.status });
      const body = await post(
        parent,
        observeChildren(probe.children, parent),
        'v2',
        testApp({
          config: configFromEnv({ PYLAMBDA_APPLY_STRATEGY: 'server-side-apply' }),
        }),
      );
      expect(body.children).to.have.length(3);
    });
  });
});
