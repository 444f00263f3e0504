// Opting out in the same edit that drops the settings volume from the pod template: the new
// template no longer needs the ConfigMap, but the pods of the older ReplicaSet still mount it
// until the rollout has replaced them, and that ReplicaSet recreates any of them that goes (an
// eviction, a node drain) with the old template. Deleted under them, such a pod sticks in
// ContainerCreating. The finalize hook sees the Deployment's status: until the Deployment
// controller reports every pod on the new template, the ConfigMap stays and the finalizer too.
import { expect } from 'chai';
import fc from 'fast-check';
import { postHook, testApp } from '../fixtures/app.js';
import { GREETER_UID, greeterDeployment } from '../fixtures/decorated-deployment.js';
import { goJson } from '../fixtures/metacontroller.js';

type Json = Record<string, unknown>;
const app = testApp();
const FINALIZE = '/hooks/lambda-deployment/finalize';

function attachment(kind: 'ConfigMap' | 'Service', name: string): Json {
  return {
    apiVersion: 'v1',
    kind,
    metadata: {
      name,
      namespace: 'demo',
      uid: `${name}-uid`,
      annotations: {
        'metacontroller.k8s.io/decorator-controller': 'pylambda-deployment-decorator',
      },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'greeter',
          uid: GREETER_UID,
          controller: true,
        },
      ],
    },
    ...(kind === 'ConfigMap' ? { data: { 'settings.json': '{}\n' } } : { spec: { ports: [] } }),
  };
}

const SETTINGS = attachment('ConfigMap', 'greeter-pylambda');
const SERVICE = attachment('Service', 'greeter-lambda');

function attachments(objects: Json[]): Json {
  const map: Record<string, Record<string, Json>> = { 'ConfigMap.v1': {}, 'Service.v1': {} };
  for (const o of objects) {
    map[`${o.kind as string}.v1`]![`demo/${(o.metadata as { name: string }).name}`] = o;
  }
  return map;
}

interface RolloutStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
}

/** Opted out at generation 2, the settings volume gone from the template, with this status. */
function optedOut(status: RolloutStatus, metadata: Json = {}, replicas = 3): Json {
  const object = greeterDeployment({}, { annotations: {}, generation: 2, ...metadata });
  (object.spec as Json).replicas = replicas;
  object.status = status;
  return object;
}

async function finalize(object: Json, observed: Json[]) {
  const res = await postHook(
    app,
    FINALIZE,
    goJson({
      controller: {},
      object,
      attachments: attachments(observed),
      related: {},
      finalizing: true,
    }),
  );
  expect(res.status, res.text).to.equal(200);
  return res.body as {
    attachments: { kind: string; metadata: { name: string } }[];
    finalized: boolean;
  };
}

const names = (answer: { attachments: { kind: string; metadata: { name: string } }[] }) =>
  answer.attachments.map((a) => `${a.kind} ${a.metadata.name}`).sort();

describe('annotated Deployment: opting out while older pods may still mount the settings', () => {
  it('keeps the ConfigMap while the Deployment controller has not seen the edit yet', async () => {
    const object = optedOut({ observedGeneration: 1, replicas: 3, updatedReplicas: 3 });
    const answer = await finalize(object, [SETTINGS, SERVICE]);
    expect(names(answer)).to.deep.equal(['ConfigMap greeter-pylambda']);
    // Not finalized with the Service gone either: the next status change must call again.
    const next = await finalize(object, [SETTINGS]);
    expect(names(next)).to.deep.equal(['ConfigMap greeter-pylambda']);
    expect(next.finalized).to.equal(false);
  });

  it('keeps it while pods of an older ReplicaSet remain', async () => {
    const object = optedOut({ observedGeneration: 2, replicas: 4, updatedReplicas: 1 });
    const answer = await finalize(object, [SETTINGS]);
    expect(names(answer)).to.deep.equal(['ConfigMap greeter-pylambda']);
    expect(answer.finalized).to.equal(false);
  });

  it('keeps it while the new ReplicaSet has fewer pods than wanted (a paused or starting rollout)', async () => {
    const object = optedOut({ observedGeneration: 2, replicas: 0, updatedReplicas: 0 });
    const answer = await finalize(object, [SETTINGS]);
    expect(names(answer)).to.deep.equal(['ConfigMap greeter-pylambda']);
    expect(answer.finalized).to.equal(false);
  });

  it('removes it once every pod runs the new template, then finalizes', async () => {
    const object = optedOut({ observedGeneration: 2, replicas: 3, updatedReplicas: 3 });
    const answer = await finalize(object, [SETTINGS, SERVICE]);
    expect(answer.attachments).to.deep.equal([]);
    expect(answer.finalized).to.equal(false);
    expect((await finalize(object, [])).finalized).to.equal(true);
  });

  it('a Deployment scaled to zero has no older pods', async () => {
    const object = optedOut({ observedGeneration: 2 }, {}, 0);
    expect((await finalize(object, [SETTINGS])).attachments).to.deep.equal([]);
  });

  it('a Deployment being deleted does not wait: its ReplicaSets go only after it', async () => {
    const object = optedOut(
      { observedGeneration: 2, replicas: 4, updatedReplicas: 1 },
      { deletionTimestamp: '2031-03-04T05:06:07Z' },
    );
    expect((await finalize(object, [SETTINGS, SERVICE])).attachments).to.deep.equal([]);
  });

  it('whatever the status, the ConfigMap goes only when no pod may run an older template', async () => {
    const count = fc.option(fc.nat(6), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          observedGeneration: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
          replicas: count,
          updatedReplicas: count,
        }),
        fc.nat(5),
        async (status, wanted) => {
          const answer = await finalize(optedOut(status, {}, wanted), [SETTINGS]);
          const settled =
            (status.observedGeneration ?? 0) >= 2 &&
            (status.replicas ?? 0) <= (status.updatedReplicas ?? 0) &&
            (status.updatedReplicas ?? 0) >= wanted;
          expect(names(answer), JSON.stringify({ status, wanted })).to.deep.equal(
            settled ? [] : ['ConfigMap greeter-pylambda'],
          );
          expect(answer.finalized).to.equal(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});
