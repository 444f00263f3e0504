// The sync hook with spec.autoscaling and the availability children, through HTTP as
// Metacontroller calls it: an autoscaler turned on, changed, scaling the lambda, and turned off.
import { expect } from 'chai';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { PythonLambdaSpec } from '../../src/generated/pythonlambda-spec.js';
import type { CompositeResponse } from '../../src/hooks/composite-types.js';
import { customizePythonLambda } from '../../src/hooks/pythonlambda-customize.js';
import type { KubeObject } from '../../src/metacontroller/objects.js';
import { postHook, testApp } from '../fixtures/app.js';
import { contractProblems } from '../fixtures/contract.js';
import { helloSpec, testHookContext } from '../fixtures/lambda.js';
import { compositeRequest, pythonLambda, SYNC_PATH } from '../fixtures/metacontroller.js';
import { observeChildren, withStatus } from '../fixtures/observed.js';

const app = testApp();

async function sync(
  spec: PythonLambdaSpec,
  observed: KubeObject[] = [],
  generation = 1,
  status?: CompositeResponse['status'],
) {
  const parent = pythonLambda({
    spec,
    generation,
    ...(status ? { status: { ...status, observedGeneration: generation - 1 } } : {}),
  });
  const res = await postHook(app, SYNC_PATH, compositeRequest({ parent, children: observed }));
  expect(res.status, res.text).to.equal(200);
  expect(contractProblems(res.body, 'sync')).to.deep.equal([]);
  const body = res.body as CompositeResponse;
  return { body, observed: observeChildren(body.children, parent, { deployment: 'rolled-out' }) };
}

const kinds = (children: KubeObject[]) => children.map((c) => c.kind);
const ofKind = <T>(children: KubeObject[], kind: string) =>
  children.find((c) => c.kind === kind) as (T & KubeObject) | undefined;

const AUTOSCALING = { minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 70 };

describe('POST /hooks/pythonlambda/sync with spec.autoscaling', () => {
  it('adds a HorizontalPodAutoscaler on the PythonLambda and a disruption budget for its maximum', async () => {
    const { body } = await sync(helloSpec({ autoscaling: AUTOSCALING }));
    expect(kinds(body.children)).to.deep.equal([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Service',
    ]);
    const hpa = ofKind<HorizontalPodAutoscaler>(body.children, 'HorizontalPodAutoscaler')!;
    expect(hpa.spec!.scaleTargetRef).to.deep.equal({
      apiVersion: 'pylambda.dev/v1alpha1',
      kind: 'PythonLambda',
      name: 'hello',
    });
    expect(body.status.selector).to.equal('pylambda.dev/lambda=hello');
  });

  it('gives the Deployment spec.replicas as the autoscaler wrote it, never minReplicas', async () => {
    // The autoscaler raises spec.replicas to minReplicas itself; until it does, and whenever
    // spec.replicas is 0 (autoscaling paused), the Deployment runs what spec.replicas says.
    for (const replicas of [0, 1, 4, 9]) {
      const { body } = await sync(helloSpec({ replicas, autoscaling: AUTOSCALING }));
      const deployment = ofKind<Deployment>(body.children, 'Deployment')!;
      expect(deployment.spec!.replicas, `spec.replicas ${replicas}`).to.equal(replicas);
    }
  });

  it('an autoscaler scaling the lambda changes only the Deployment replicas', async () => {
    const one = await sync(helloSpec({ replicas: 2, autoscaling: AUTOSCALING }));
    const five = await sync(helloSpec({ replicas: 5, autoscaling: AUTOSCALING }), one.observed, 2);
    const byName = (c: KubeObject) => `${c.kind}/${c.metadata.name}`;
    expect(five.body.children.map(byName)).to.deep.equal(one.body.children.map(byName));
    one.body.children.forEach((before, i) => {
      if (before.kind !== 'Deployment')
        expect(five.body.children[i], before.kind).to.deep.equal(before);
    });
    const deployment = (r: typeof one) => ofKind<Deployment>(r.body.children, 'Deployment')!;
    expect(deployment(five).spec!.replicas).to.equal(5);
    expect(deployment(five).spec!.template).to.deep.equal(deployment(one).spec!.template);
  });

  it('follows a change of the autoscaler, and drops it (and a budget no longer needed) when autoscaling goes', async () => {
    const on = await sync(helloSpec({ replicas: 3, autoscaling: AUTOSCALING }));
    const changed = await sync(
      helloSpec({
        replicas: 3,
        autoscaling: { ...AUTOSCALING, maxReplicas: 9, targetMemoryUtilizationPercentage: 75 },
      }),
      on.observed,
      2,
    );
    const hpa = ofKind<HorizontalPodAutoscaler>(changed.body.children, 'HorizontalPodAutoscaler')!;
    expect(hpa.spec!.maxReplicas).to.equal(9);
    expect(hpa.spec!.metrics!.map((m) => m.resource!.name)).to.deep.equal(['cpu', 'memory']);

    // Autoscaling removed: the replicas it left stay, and with them the budget.
    const off = await sync(helloSpec({ replicas: 3 }), changed.observed, 3);
    expect(kinds(off.body.children)).to.deep.equal([
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
    ]);
    // Down to one replica: no budget either.
    const single = await sync(helloSpec({ replicas: 1 }), off.observed, 4);
    expect(kinds(single.body.children)).to.deep.equal(['ConfigMap', 'Deployment', 'Service']);
  });

  it('an invalid autoscaling edit keeps every child, the autoscaler included, and says which field', async () => {
    const running = await sync(helloSpec({ replicas: 3, autoscaling: AUTOSCALING }));
    const bad = await sync(
      helloSpec({ replicas: 3, autoscaling: { ...AUTOSCALING, minReplicas: 7 } }),
      running.observed,
      2,
    );
    expect(kinds(bad.body.children)).to.deep.equal(kinds(running.body.children));
    expect(bad.body.status.conditions![0]).to.include({
      status: 'False',
      reason: 'InvalidSpec',
      message:
        'invalid spec: spec.autoscaling.minReplicas: 7 is more than maxReplicas 6: minReplicas must be at most maxReplicas',
    });
  });

  it('a disruption budget turned off goes, and so does the spread', async () => {
    const { body } = await sync(
      helloSpec({
        replicas: 3,
        disruptionBudget: { enabled: false },
        topologySpread: { enabled: false },
      }),
    );
    expect(kinds(body.children)).to.deep.equal(['ConfigMap', 'Deployment', 'Service']);
    const deployment = ofKind<Deployment>(body.children, 'Deployment')!;
    expect(deployment.spec!.template.spec).to.not.have.property('topologySpreadConstraints');
  });

  it('an autoscaler scaling up (2 to 4) never flips Ready while the current code serves', async () => {
    const spec = (replicas: number) => helloSpec({ replicas, autoscaling: AUTOSCALING });
    const created = await sync(spec(2));
    const ready = await sync(spec(2), created.observed, 2, created.body.status);
    const readyCondition = ready.body.status.conditions![0]!;
    expect(readyCondition).to.include({ status: 'True', reason: 'Available' });

    // The autoscaler writes spec.replicas = 4; the Deployment still runs 2.
    const scaled = await sync(spec(4), ready.observed, 3, ready.body.status);
    expect(scaled.body.status.conditions![0]).to.include({
      status: 'True',
      lastTransitionTime: readyCondition.lastTransitionTime,
    });
    expect(ofKind<Deployment>(scaled.body.children, 'Deployment')!.spec!.replicas).to.equal(4);

    // Metacontroller applied 4: two new pods start, the two others serve.
    const starting = scaled.observed.map((child) =>
      child.kind === 'Deployment'
        ? withStatus(child, {
            ...(child.status as object),
            replicas: 4,
            updatedReplicas: 4,
            readyReplicas: 2,
            availableReplicas: 2,
            unavailableReplicas: 2,
          })
        : child,
    );
    const during = await sync(spec(4), starting, 4, scaled.body.status);
    expect(during.body.status.conditions![0]).to.include({
      status: 'True',
      lastTransitionTime: readyCondition.lastTransitionTime,
    });
    expect(during.body.status).to.include({ replicas: 4, readyReplicas: 2, updatedReplicas: 4 });
  });

  it('someone else’s HorizontalPodAutoscaler of the name is a conflict, never taken over', async () => {
    // The customize hook asks for both availability kinds by name, autoscaling or not.
    const rules = customizePythonLambda(
      { parent: pythonLambda({ spec: helloSpec() }) },
      testHookContext(),
    ).relatedResources;
    expect(
      rules.filter((r) => r.names?.includes('hello')).map((r) => r.resource),
    ).to.include.members(['horizontalpodautoscalers', 'poddisruptionbudgets']);
    const parent = pythonLambda({ spec: helloSpec({ autoscaling: AUTOSCALING }) });
    const foreign = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'hello', namespace: 'demo', uid: 'someone-else' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hello' } },
    };
    const request = compositeRequest({ parent });
    request.related = { 'HorizontalPodAutoscaler.autoscaling/v2': { 'demo/hello': foreign } };
    const res = await postHook(app, SYNC_PATH, request);
    const body = res.body as CompositeResponse;
    expect(kinds(body.children)).to.not.include('HorizontalPodAutoscaler');
    expect(body.status.conditions![0]).to.include({ status: 'False' });
    expect(body.status.conditions![0]!.message).to.match(
      /HorizontalPodAutoscaler demo\/hello already exists/,
    );
  });
});
